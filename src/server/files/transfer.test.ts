import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { ErrorBody } from '../../shared/errors.js';
import { describeEachDb } from '../testing/each-db.js';
import { insertTestConversation } from '../testing/conversations.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { blobPath, download, multipartBody, multipartForm, sha256, uploadRaw, uploadUrl, waitFor, type FormPart } from './test-helpers.js';

describeEachDb('files: upload and download', (t) => {
  async function chat() {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann, bob] });
    return { org, ann, bob, conversationId };
  }

  it('stores a raw upload byte for byte and serves it to another member', async () => {
    const { ann, bob, conversationId } = await chat();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const up = await uploadRaw(t(), ann, conversationId, 'report.bin', data);
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({
      name: 'report.bin',
      size: data.length,
      sha256: sha256(data),
      conversationId,
      uploaderId: ann.user.id,
      contentType: 'application/octet-stream',
    });
    expect(existsSync(blobPath(t(), sha256(data)))).toBe(true);
    const { res, body } = await download(t(), bob, up.json.id as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(data.length));
    expect(res.headers.get('etag')).toBe(`"${sha256(data)}"`);
    expect(sha256(body)).toBe(sha256(data));
  });

  it('stores a multipart upload byte for byte, named after the part', async () => {
    const { ann, conversationId } = await chat();
    const data = randomBytes(2 * 1024 * 1024 + 5);
    const form = multipartBody('file', 'photo.png', 'image/png', data);
    const res = await fetch(uploadUrl(t(), conversationId), {
      method: 'POST',
      headers: { ...ann.api.headers(), 'content-type': form.contentType },
      body: new Uint8Array(form.body),
    });
    expect(res.status).toBe(201);
    const info = (await res.json()) as { id: string; name: string; size: number; sha256: string; contentType: string };
    expect(info).toMatchObject({ name: 'photo.png', size: data.length, sha256: sha256(data), contentType: 'image/png' });
    const dl = await download(t(), ann, info.id);
    expect(dl.res.headers.get('content-type')).toBe('image/png');
    expect(sha256(dl.body)).toBe(sha256(data));
  });

  it('accepts a browser FormData upload', async () => {
    const { ann, conversationId } = await chat();
    const data = randomBytes(100_000);
    const fd = new FormData();
    fd.set('file', new Blob([new Uint8Array(data)], { type: 'text/plain' }), 'notes.txt');
    const res = await fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: ann.api.headers(), body: fd });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'notes.txt', size: data.length, sha256: sha256(data) });
  });

  it('stores identical content once and an empty file too', async () => {
    const { ann, conversationId } = await chat();
    const data = randomBytes(50_000);
    const a = await uploadRaw(t(), ann, conversationId, 'a.bin', data);
    const b = await uploadRaw(t(), ann, conversationId, 'b.bin', data);
    expect(a.json.id).not.toBe(b.json.id);
    expect(a.json.sha256).toBe(b.json.sha256);
    const empty = await uploadRaw(t(), ann, conversationId, 'empty.txt', Buffer.alloc(0), 'text/plain');
    expect(empty.status).toBe(201);
    expect(empty.json.size).toBe(0);
    const dl = await download(t(), ann, empty.json.id as string);
    expect(dl.res.status).toBe(200);
    expect(dl.body.length).toBe(0);
  });

  it('answers ranges: start-end, open-ended, suffix, unsatisfiable', async () => {
    const { ann, conversationId } = await chat();
    const data = randomBytes(10_000);
    const id = (await uploadRaw(t(), ann, conversationId, 'r.bin', data)).json.id as string;

    const mid = await download(t(), ann, id, { range: 'bytes=100-199' });
    expect(mid.res.status).toBe(206);
    expect(mid.res.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(mid.body.equals(data.subarray(100, 200))).toBe(true);

    const open = await download(t(), ann, id, { range: 'bytes=9990-' });
    expect(open.res.status).toBe(206);
    expect(open.res.headers.get('content-range')).toBe('bytes 9990-9999/10000');
    expect(open.body.equals(data.subarray(9990))).toBe(true);

    const suffix = await download(t(), ann, id, { range: 'bytes=-500' });
    expect(suffix.res.status).toBe(206);
    expect(suffix.body.equals(data.subarray(9500))).toBe(true);

    const past = await download(t(), ann, id, { range: 'bytes=10000-' });
    expect(past.res.status).toBe(416);
    expect(past.res.headers.get('content-range')).toBe('bytes */10000');

    const clipped = await download(t(), ann, id, { range: 'bytes=9000-20000' });
    expect(clipped.res.status).toBe(206);
    expect(clipped.body.equals(data.subarray(9000))).toBe(true);

    const junk = await download(t(), ann, id, { range: 'lines=1-2' });
    expect(junk.res.status).toBe(200);
    expect(junk.body.length).toBe(10_000);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const { ann, conversationId } = await chat();
    const data = randomBytes(1000);
    const id = (await uploadRaw(t(), ann, conversationId, 'e.bin', data)).json.id as string;
    const first = await download(t(), ann, id);
    const etag = first.res.headers.get('etag')!;
    const again = await download(t(), ann, id, { 'if-none-match': etag });
    expect(again.res.status).toBe(304);
    expect(again.body.length).toBe(0);
    const other = await download(t(), ann, id, { 'if-none-match': '"0000"' });
    expect(other.res.status).toBe(200);
  });

  it('refuses dangerous names with 400 and stores nothing', async () => {
    const { ann, conversationId } = await chat();
    for (const name of ['../etc/passwd', 'a/b', 'a\\b', '..', 'bad\u0000name', 'line\nbreak', 'x'.repeat(1000), '   ', 'gpj.\u202eexe']) {
      const up = await uploadRaw(t(), ann, conversationId, name, Buffer.from('x'));
      expect(up.status, JSON.stringify(name)).toBe(400);
      expect(up.json.error?.code).toBe('invalid_request');
    }
    const missing = await fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: { ...ann.api.headers(), 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(missing.status).toBe(400);
    // A name whose percent-encoding is broken is refused, not stored as the characters typed.
    for (const raw of ['bad%E0%A4.txt', '%zz.txt', 'half%', 'lone%ED%A0%80.txt']) {
      const res = await fetch(`${uploadUrl(t(), conversationId)}&name=${raw}`, { method: 'POST', headers: { ...ann.api.headers(), 'content-type': 'application/octet-stream' }, body: 'x' });
      const json = (await res.json()) as { error: { code: string; issues?: { path: string }[] } };
      expect([raw, res.status, json.error.code, json.error.issues?.[0]?.path]).toEqual([raw, 400, 'invalid_request', 'query.name']);
    }
    const count = await t().ctx.db.selectFrom('files').select('id').where('conversation_id', '=', conversationId).execute();
    expect(count).toHaveLength(0);
    // Well-formed encoding (and + for a space) is still read as such.
    const encoded = await fetch(`${uploadUrl(t(), conversationId)}&name=caf%C3%A9+au+lait.txt`, { method: 'POST', headers: { ...ann.api.headers(), 'content-type': 'text/plain' }, body: 'x' });
    expect(encoded.status).toBe(201);
    expect(((await encoded.json()) as { name: string }).name).toBe('café au lait.txt');
  });

  it('refuses a multipart part named with a path', async () => {
    const { ann, conversationId } = await chat();
    const form = multipartBody('file', '../../etc/passwd', 'text/plain', Buffer.from('x'));
    const res = await fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: { ...ann.api.headers(), 'content-type': form.contentType }, body: new Uint8Array(form.body) });
    expect(res.status).toBe(400);
    // The error names what was wrong: the form's file name, not a query parameter never sent.
    const json = (await res.json()) as { error: { code: string; issues?: { path: string }[] } };
    expect([json.error.code, json.error.issues?.[0]?.path]).toEqual(['invalid_request', 'form.filename']);
  });

  it('answers malformed and truncated forms with 400, stores nothing and leaves no temp file', async () => {
    const { ann, conversationId } = await chat();
    const form = multipartBody('file', 'cut.bin', 'application/octet-stream', randomBytes(200_000));
    const boundary = form.contentType.split('boundary=')[1]!;
    const cases: [string, string, Uint8Array<ArrayBuffer>][] = [
      ['no boundary', 'multipart/form-data', new Uint8Array(form.body)],
      ['not a form', 'multipart/form-data; boundary=abc', new Uint8Array(Buffer.from('garbage, not multipart'))],
      ['cut short', `multipart/form-data; boundary=${boundary}`, new Uint8Array(form.body.subarray(0, 150_000))],
    ];
    for (const [label, contentType, body] of cases) {
      const res = await fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: { ...ann.api.headers(), 'content-type': contentType }, body });
      expect(res.status, label).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code, label).toBe('invalid_request');
    }
    const count = await t().ctx.db.selectFrom('files').select('id').where('conversation_id', '=', conversationId).execute();
    expect(count).toHaveLength(0);
    const tmp = path.join(t().ctx.config.dataDir, 'files', 'tmp');
    expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
  });

  it('takes a form of one file and up to 10 other fields, and refuses more without storing anything', async () => {
    const { ann, conversationId } = await chat();
    const fields = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ name: `${tag}${i}`, value: 'v' }));
    const file = (filename: string) => ({ name: 'file', filename, contentType: 'application/octet-stream', data: randomBytes(2000) });
    const post = (form: { body: Buffer; contentType: string }) =>
      fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: { ...ann.api.headers(), 'content-type': form.contentType }, body: new Uint8Array(form.body) });

    const ok = await post(multipartForm([...fields(9, 'a'), file('ok.bin'), ...fields(1, 'b')]));
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { name: string }).name).toBe('ok.bin');

    const refused: [string, FormPart[]][] = [
      ['11 fields before the file', [...fields(11, 'a'), file('before.bin')]],
      ['11 fields after the file', [file('after.bin'), ...fields(11, 'a')]],
      ['a second file', [file('one.bin'), file('two.bin')]],
    ];
    for (const [label, parts] of refused) {
      const res = await post(multipartForm(parts));
      expect(res.status, label).toBe(413);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code, label).toBe('payload_too_large');
      expect(body.error.message, label).toMatch(/too many parts/);
    }
    const stored = await t().ctx.db.selectFrom('files').select('name').where('conversation_id', '=', conversationId).execute();
    expect(stored.map((f) => f.name)).toEqual(['ok.bin']);
    const tmp = path.join(t().ctx.config.dataDir, 'files', 'tmp');
    await waitFor(() => (existsSync(tmp) ? readdirSync(tmp) : []).length === 0);
  });

  it('serves script-capable types as opaque attachments', async () => {
    const { ann, conversationId } = await chat();
    for (const [name, type] of [
      ['page.html', 'text/html'],
      ['pic.svg', 'image/svg+xml'],
      ['doc.xhtml', 'application/xhtml+xml'],
      ['a.js', 'text/javascript'],
      ['a.xml', 'application/xml'],
    ] as const) {
      const up = await uploadRaw(t(), ann, conversationId, name, Buffer.from('<script>alert(1)</script>'), type);
      expect(up.json.contentType).toBe(type);
      const dl = await download(t(), ann, up.json.id as string, {}, '?inline=1');
      expect(dl.res.headers.get('content-type')).toBe('application/octet-stream');
      expect(dl.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(dl.res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(dl.res.headers.get('content-security-policy')).toContain('sandbox');
    }
  });

  it('shows safe types inline only when asked', async () => {
    const { ann, conversationId } = await chat();
    const up = await uploadRaw(t(), ann, conversationId, 'a.png', randomBytes(100), 'image/png');
    const plain = await download(t(), ann, up.json.id as string);
    expect(plain.res.headers.get('content-disposition')).toMatch(/^attachment;/);
    const inline = await download(t(), ann, up.json.id as string, {}, '?inline=1');
    expect(inline.res.headers.get('content-type')).toBe('image/png');
    expect(inline.res.headers.get('content-disposition')).toMatch(/^inline;/);
  });

  it('guesses the type from the extension when the client sends raw bytes', async () => {
    const { ann, conversationId } = await chat();
    const up = await uploadRaw(t(), ann, conversationId, 'scan.PDF', Buffer.from('%PDF-1.4'));
    expect(up.json.contentType).toBe('application/pdf');
  });

  it('writes a Content-Disposition safe for quotes and non-ASCII names', async () => {
    const { ann, conversationId } = await chat();
    const name = 'Ünïcødé "quoted" 報告 (1)\'s.txt';
    const up = await uploadRaw(t(), ann, conversationId, name, Buffer.from('hello'), 'text/plain');
    expect(up.json.name).toBe(name);
    const dl = await download(t(), ann, up.json.id as string);
    const cd = dl.res.headers.get('content-disposition')!;
    expect(cd).toMatch(/^attachment; filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%._~!-]+$/);
    const ascii = /filename="([^"]*)"/.exec(cd)![1]!;
    expect(ascii).not.toContain('"');
    const encoded = /filename\*=UTF-8''(.+)$/.exec(cd)![1]!;
    expect(decodeURIComponent(encoded)).toBe(name);
  });

  it('answers 401 without a session and 404 for unknown ids', async () => {
    const { ann, conversationId } = await chat();
    const id = (await uploadRaw(t(), ann, conversationId, 'x.bin', Buffer.from('x'))).json.id as string;
    expect((await fetch(`${t().url}/api/v1/files/${id}`)).status).toBe(401);
    expect((await fetch(uploadUrl(t(), conversationId, 'x'), { method: 'POST', body: 'x' })).status).toBe(401);
    const unknown = await download(t(), ann, 'nope123');
    expect(unknown.res.status).toBe(404);
    const badId = await download(t(), ann, 'bad%20id');
    expect(badId.res.status).toBe(400);
  });

  it('keeps the JSON routes strict: a JSON file is stored, not parsed', async () => {
    const { ann, conversationId } = await chat();
    const up = await uploadRaw(t(), ann, conversationId, 'data.json', Buffer.from('{not json'), 'application/json');
    expect(up.status).toBe(201);
    expect(up.json.contentType).toBe('application/json');
  });

  it('lists the files endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t().url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths['/api/v1/files']?.post).toBeDefined();
    expect(doc.paths['/api/v1/files/{id}']?.get).toBeDefined();
    expect(doc.paths['/api/v1/conversations/{id}/files']?.get).toBeDefined();
  });
});
