import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { TestServer } from '../testing/server.js';
import type { TestUser } from '../testing/factories.js';

/** Test-only helpers of the files suites: raw HTTP where fetch hides what matters. */

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function uploadUrl(t: TestServer, conversationId: string, name?: string): string {
  const qs = new URLSearchParams({ conversationId });
  if (name !== undefined) qs.set('name', name);
  return `${t.url}/api/v1/files?${qs.toString()}`;
}

export async function uploadRaw(t: TestServer, user: TestUser, conversationId: string, name: string, body: Buffer, contentType = 'application/octet-stream') {
  const res = await fetch(uploadUrl(t, conversationId, name), {
    method: 'POST',
    headers: { ...user.api.headers(), 'content-type': contentType },
    body: new Uint8Array(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; reason?: string } } };
}

export async function download(t: TestServer, user: TestUser, fileId: string, headers: Record<string, string> = {}, query = '') {
  const res = await fetch(`${t.url}/api/v1/files/${fileId}${query}`, { headers: { ...user.api.headers(), ...headers } });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a body with node:http chunk by chunk until the server answers (it may answer and close
 * before the body is complete: that is the point of the limit tests). Write errors after the
 * answer are expected and ignored.
 */
export function sendUntilAnswered(
  url: string,
  headers: Record<string, string | number>,
  chunks: Iterable<Buffer>,
): Promise<RawAnswer & { bytesWritten: number }> {
  return new Promise((resolve, reject) => {
    let bytesWritten = 0;
    let answered = false;
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesWritten }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, bytesWritten }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const it = chunks[Symbol.iterator]();
    const pump = () => {
      while (!answered && !req.destroyed) {
        const next = it.next();
        if (next.done) {
          req.end();
          return;
        }
        bytesWritten += next.value.length;
        if (!req.write(next.value)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

export function* repeatChunks(chunk: Buffer, count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield chunk;
}

/** Every file under the storage's temp directory (partial uploads, blobs set aside). */
export function tempLeftovers(t: TestServer): string[] {
  try {
    return readdirSync(path.join(t.ctx.config.dataDir, 'files', 'tmp'));
  } catch {
    return [];
  }
}

export function blobPath(t: TestServer, sha: string): string {
  return path.join(t.ctx.config.dataDir, 'files', sha.slice(0, 2), sha.slice(2, 4), sha);
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A part of a test form: a plain field, or a file. */
export type FormPart = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Buffer };

/** A multipart/form-data body of the given parts, in order. */
export function multipartForm(parts: readonly FormPart[]): { body: Buffer; contentType: string } {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const chunks = parts.flatMap((p) =>
    'value' in p
      ? [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`)]
      : [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.contentType}\r\n\r\n`), p.data, Buffer.from('\r\n')],
  );
  return { body: Buffer.concat([...chunks, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

export function multipartBody(fieldName: string, filename: string, contentType: string, data: Buffer): { body: Buffer; contentType: string } {
  return multipartForm([{ name: fieldName, filename, contentType, data }]);
}
