import fastifyMultipart, { type Multipart, type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { api } from '../../shared/api/index.js';
import { DownloadParams, DownloadQuery, FileName, FILE_LIMITS } from '../../shared/api/files.js';
import type { AppContext } from '../context.js';
import { AppError, badRequest, unauthenticated } from '../http/errors.js';
import { authenticate, Router } from '../http/router.js';
import { startGarbageCollector } from './gc.js';
import { contentDisposition, etagMatches, parseRange, recordedContentType, servedContentType } from './http.js';
import { checkFileAccess, checkUploadTarget, doStoreUpload, fileStorage, fileTooLarge, listConversationFiles } from './service.js';

// Room for multipart boundaries and part headers around the file itself.
const MULTIPART_OVERHEAD = 64 * 1024;
// An upload form carries one file; a few other fields are tolerated (clients add some) and read past.
const FORM_FIELDS = 10;
const FORM_LIMITS = new Set(['FST_FIELDS_LIMIT', 'FST_FILES_LIMIT', 'FST_PARTS_LIMIT']);

export function registerFilesRoutes(router: Router, ctx: AppContext, app: FastifyInstance): void {
  router.add(api.files.listForConversation, async ({ auth, params, query }) =>
    listConversationFiles(ctx, auth.user.id, params.id, { cursor: query.cursor, limit: query.limit ?? FILE_LIMITS.listLimitDefault }),
  );

  // Uploads live in a context of their own: bodies are streamed, never parsed or buffered, and
  // multipart exists only here, so the JSON routes elsewhere keep their parsers and limits.
  app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_req, _payload, done) => done(null));
    await child.register(fastifyMultipart, {
      // The part's name is checked as sent: a path in it is refused, not silently cut down.
      preservePath: true,
      limits: { files: 1, fields: FORM_FIELDS, fieldSize: 1024, parts: 20, headerPairs: 100, fieldNameSize: 100 },
    });
    // An answer given before the body was read (an error, a refusal) closes the connection,
    // so the server never reads and discards a large body it has refused.
    child.addHook('onSend', async (req, reply, payload) => {
      if (!req.raw.complete) reply.header('connection', 'close');
      return payload;
    });
    const sub = new Router(child, ctx);
    sub.add(api.files.upload, async ({ auth, query, req }) => {
      checkNameEncoding(req.url);
      const { maxBytes } = await checkUploadTarget(ctx, auth.user, query.conversationId);
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (req.isMultipart()) {
        if (declared > maxBytes + MULTIPART_OVERHEAD) throw fileTooLarge(maxBytes);
        // One byte past the limit reaches the storage, which then refuses the file.
        const form = req.parts({ limits: { fileSize: maxBytes + 1, files: 1 } })[Symbol.asyncIterator]();
        const part = await firstFile(form);
        if (!part) throw badRequest('The form has no file part');
        const name = query.name ?? parseName(part.filename);
        const contentType = recordedContentType(part.mimetype, name);
        return doStoreUpload(ctx, { conversationId: query.conversationId, uploaderId: auth.user.id, sessionId: auth.sessionId, name, contentType, maxBytes, source: formFileBytes(part.file, form) });
      }
      if (declared > maxBytes) throw fileTooLarge(maxBytes);
      if (query.name === undefined) throw badRequest('A file name is required (?name=)', [{ path: 'query.name', message: 'required' }]);
      const contentType = recordedContentType(req.headers['content-type'], query.name);
      return doStoreUpload(ctx, { conversationId: query.conversationId, uploaderId: auth.user.id, sessionId: auth.sessionId, name: query.name, contentType, maxBytes, source: clientBytes(req.raw) });
    });
    router.routes.push(...sub.routes);
  });

  router.routes.push(api.files.download);
  app.get('/api/v1/files/:id', async (req, reply) => download(ctx, req, reply));

  startGarbageCollector(ctx);
}

/**
 * A failure to read the request's bytes is the client's: a form without a boundary or cut short,
 * a connection dropped mid-upload. It is answered 400 (and not logged as a server error); errors
 * that already say what they are (a size limit: 413) pass as they are.
 */
function asClientError(err: unknown): unknown {
  if (FORM_LIMITS.has((err as { code?: unknown }).code as string)) {
    return new AppError(413, 'payload_too_large', `The form has too many parts: send one file and at most ${FORM_FIELDS} other fields`);
  }
  if (err instanceof AppError || typeof (err as { statusCode?: unknown }).statusCode === 'number') return err;
  return badRequest('The upload did not arrive whole: the body is malformed, cut short or was aborted');
}

/** The form's file part; the fields before it are read past (the form's limits bound them). */
async function firstFile(form: AsyncIterator<Multipart>): Promise<MultipartFile | null> {
  for (;;) {
    const next = await form.next().catch((err: unknown) => {
      throw asClientError(err);
    });
    if (next.done) return null;
    if (next.value.type === 'file') return next.value;
  }
}

/**
 * The file's bytes, then the rest of the form. The form's limits are only reported in the order
 * parts arrive, and a small form arrives whole: a limit passed before the file (an 11th field)
 * may be reported after it. Reading the form to its end before the storage finishes makes any
 * such error fail the upload, so nothing is stored from a form that was refused.
 */
async function* formFileBytes(file: AsyncIterable<Uint8Array>, form: AsyncIterator<Multipart>): AsyncGenerator<Uint8Array> {
  yield* clientBytes(file);
  try {
    while (!(await form.next()).done);
  } catch (err) {
    throw asClientError(err);
  }
}

/** The bytes of an upload, with read failures told apart from the storage's (see above). */
async function* clientBytes(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (err) {
    throw asClientError(err);
  }
}

/** The form part's file name (`?name=` wins when given, and is checked with the query). */
function parseName(raw: string | undefined): string {
  const r = FileName.safeParse(raw ?? '');
  if (r.success) return r.data;
  const why = r.error.issues[0]?.message ?? 'bad value';
  throw badRequest(`Invalid file name in the form: ${why}`, [{ path: 'form.filename', message: why }]);
}

/**
 * The query parser keeps a malformed percent-encoding as typed (`%E0%A4` stays those six
 * characters), and a file name is stored and shown as given: such a name is refused instead of
 * being kept in a form nobody typed.
 */
function checkNameEncoding(url: string): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq) !== 'name') continue;
    try {
      decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw badRequest('Invalid file name: it is not valid percent-encoding (UTF-8)', [{ path: 'query.name', message: 'malformed percent-encoding' }]);
    }
  }
}

/**
 * Download: bytes streamed from storage with Range, ETag and headers that keep a user's file
 * from ever running as a page of this origin. Binary, so it does not go through the JSON router.
 */
async function download(ctx: AppContext, req: FastifyRequest, reply: FastifyReply) {
  const auth = await authenticate(ctx, req);
  if (!auth) throw unauthenticated();
  const params = DownloadParams.safeParse(req.params);
  if (!params.success) throw badRequest('Not a valid file id');
  const query = DownloadQuery.safeParse(req.query ?? {});
  if (!query.success) throw badRequest('inline must be 0 or 1');
  const file = await checkFileAccess(ctx, auth.user.id, params.data.id);

  const etag = `"${file.sha256}"`;
  const served = servedContentType(file.content_type);
  const inline = query.data.inline === '1' && served.inlineOk;
  reply.headers({
    etag,
    'accept-ranges': 'bytes',
    'cache-control': 'private, no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    'cross-origin-resource-policy': 'same-origin',
    'content-disposition': contentDisposition(inline ? 'inline' : 'attachment', file.name),
  });
  if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();

  const size = Number(file.size);
  const range = parseRange(req.headers.range, size);
  if (range.kind === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${size}`).send({ error: { code: 'range_not_satisfiable', message: 'The requested range is outside the file' } });
  }
  const storage = fileStorage(ctx);
  reply.type(served.type);
  if (range.kind === 'partial') {
    const stream = await storage.open(file.storage_key, range);
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', range.end - range.start + 1);
    return reply.send(stream);
  }
  if (size === 0) return reply.code(200).header('content-length', 0).send('');
  const stream = await storage.open(file.storage_key);
  return reply.code(200).header('content-length', size).send(stream);
}
