import http from 'node:http';
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { cid, expectContractError, expectHealthy, expectNoLeak, expectNoServerError, makeOrgWorld, raw, uploadFile } from './helpers.js';

/** A download through node:http, so response headers are seen exactly as sent. */
function get(t: TestServer, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${t.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function chatWithFile(t: TestServer, content = '0123456789abcdefghij') {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const a = await makeUser(t, { org });
  const b = await makeUser(t, { org });
  const outsider = await makeUser(t, { org });
  const group = await a.api.call(api.conversations.create, { body: { title: 'Files', memberIds: [b.user.id] } });
  const fileId = await uploadFile(t, a, group.id, 'data.bin', content);
  return { a, b, outsider, group, fileId, content };
}

describeEachDb('security: files', (t) => {
  it("answers 404 to anyone outside the file's chat, whatever id they guess, and never lets them attach it", async () => {
    const w = await makeOrgWorld(t());
    const stranger = await makeUser(t());
    const colleague = await makeUser(t(), { org: w.org });
    const guesses = [w.fileId, w.fileId.toUpperCase(), `${w.fileId}x`, w.fileId.slice(0, -1), w.message.id, w.group.id, 'a'.repeat(64), '0', '-', '_'];
    for (const who of [stranger, colleague]) {
      for (const id of guesses) {
        for (const headers of [{}, { range: 'bytes=0-0' }, { 'if-none-match': '*' }] as Record<string, string>[]) {
          const res = await raw(t(), 'GET', `/api/v1/files/${encodeURIComponent(id)}`, { token: who.token, headers });
          expect(res.status, `${id} ${JSON.stringify(headers)}`).toBe(404);
          expectContractError(res, id);
          expectNoLeak(res, w.secrets, id);
        }
      }
    }
    // Attaching a file of another chat to a message of one's own chat.
    const own = await colleague.api.call(api.conversations.startDirect, { body: { email: w.alice.email } });
    const attach = await raw(t(), 'POST', `/api/v1/conversations/${own.id}/messages`, {
      token: colleague.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: cid(), body: 'look', fileIds: [w.fileId] }),
    });
    expect(attach.status).toBeGreaterThanOrEqual(400);
    expectContractError(attach, 'attach foreign file');
    expectNoLeak(attach, w.secrets, 'attach foreign file');
    // Even its own uploader cannot move it into another chat.
    const alicesOther = await w.alice.api.call(api.conversations.startDirect, { body: { email: colleague.email } });
    const moved = await raw(t(), 'POST', `/api/v1/conversations/${alicesOther.id}/messages`, {
      token: w.alice.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: cid(), body: 'moved', fileIds: [w.fileId] }),
    });
    expect(moved.status).toBeGreaterThanOrEqual(400);
    expectContractError(moved, 'attach into another chat');
    const colleagueView = await raw(t(), 'GET', `/api/v1/files/${w.fileId}`, { token: colleague.token });
    expect(colleagueView.status).toBe(404);
  });

  it('survives Range abuse: many ranges, zero suffixes, overflowing numbers, garbage', async () => {
    const { a, fileId, content } = await chatWithFile(t());
    const size = content.length;
    const many = `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i}`).join(',')}`;
    const cases: [string, number, string | null][] = [
      [many, 200, content],
      ['bytes=0-0,1-1,2-2', 200, content],
      ['bytes=-0', 416, null],
      ['bytes=0-0', 206, content.slice(0, 1)],
      ['bytes=-5', 206, content.slice(-5)],
      ['bytes=5-', 206, content.slice(5)],
      [`bytes=${size}-`, 416, null],
      ['bytes=99999999999999999999999999-', 416, null],
      ['bytes=0-99999999999999999999999999', 206, content],
      ['bytes=-99999999999999999999999999', 206, content],
      [`bytes=${'9'.repeat(4000)}-`, 416, null],
      ['bytes=5-2', 200, content],
      ['bytes=abc', 200, content],
      ['bytes=1e3-', 200, content],
      ['bytes=-', 200, content],
      ['bytes=0x10-', 200, content],
      ['items=0-1', 200, content],
      ['bytes=\u00a0-1', 200, content],
    ];
    for (const [range, status, body] of cases) {
      const res = await get(t(), `/api/v1/files/${fileId}`, { authorization: `Bearer ${a.token}`, range: Buffer.from(range, 'utf8').toString('latin1') });
      const label = range.slice(0, 60);
      expect(res.status, label).toBe(status);
      if (body !== null) expect(res.body.toString(), label).toBe(body);
      if (status === 416) {
        expect(JSON.parse(res.body.toString())).toMatchObject({ error: { code: 'range_not_satisfiable' } });
        expect(res.headers['content-range']).toBe(`bytes */${size}`);
      }
      if (status === 206) expect(Number(res.headers['content-length'])).toBe(body!.length);
    }
    await expectHealthy(t());
  });

  it('matches If-None-Match lists by the entity tag only, and never before checking access', async () => {
    const { a, outsider, fileId, content } = await chatWithFile(t());
    const etag = `"${createHash('sha256').update(content).digest('hex')}"`;
    const first = await get(t(), `/api/v1/files/${fileId}`, { authorization: `Bearer ${a.token}` });
    expect(first.headers.etag).toBe(etag);
    const cases: [string, number][] = [
      [etag, 304],
      [`"nope", ${etag}`, 304],
      [`W/${etag}`, 304],
      ['*', 304],
      [' * ', 304],
      ['"nope"', 200],
      [etag.slice(1, -1), 200],
      [`${etag.slice(0, -2)}"`, 200],
      [Array.from({ length: 1000 }, (_, i) => `"x${i}"`).join(', '), 200],
      [`${Array.from({ length: 500 }, (_, i) => `"x${i}"`).join(',')},${etag}`, 304],
      [',,,', 200],
      ['', 200],
    ];
    for (const [inm, status] of cases) {
      const res = await get(t(), `/api/v1/files/${fileId}`, { authorization: `Bearer ${a.token}`, 'if-none-match': inm });
      expect(res.status, inm.slice(0, 60)).toBe(status);
      if (status === 304) expect(res.body.length).toBe(0);
      if (status === 200) expect(res.body.toString()).toBe(content);
    }
    // An outsider holding the right tag learns nothing: 404, not 304.
    const probe = await get(t(), `/api/v1/files/${fileId}`, { authorization: `Bearer ${outsider.token}`, 'if-none-match': etag });
    expect(probe.status).toBe(404);
  });

  it('never lets a file name split or add response headers', async () => {
    const { a, group } = await chatWithFile(t());
    // Names with CR/LF, line separators or other controls are refused at upload, raw or multipart.
    for (const name of ['a\r\nSet-Cookie: pwned=1.txt', 'a\nX-Injected: 1', 'a\rb', 'a\u0085b', 'a\u0000b', 'a\u2028b\u2029c.txt']) {
      const res = await raw(t(), 'POST', `/api/v1/files?conversationId=${group.id}&name=${encodeURIComponent(name)}`, {
        token: a.token,
        headers: { 'content-type': 'application/octet-stream' },
        body: 'x',
      });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expectContractError(res, name);
      const boundary = 'parleyboundary';
      const form = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encodeURIComponent(name)}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${boundary}--\r\n`;
      const mp = await raw(t(), 'POST', `/api/v1/files?conversationId=${group.id}`, {
        token: a.token,
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: form,
      });
      expectNoServerError(mp, `multipart ${JSON.stringify(name)}`);
      expect(mp.status, `multipart ${JSON.stringify(name)}: ${mp.text}`).toBe(400);
    }
    // Names that are legal but hostile to headers are served safely.
    for (const name of ['quote"; filename="evil.html', 'a\u200fb\u200ec.txt', 'semi;colon,comma.txt', "pct%0d%0aX-Injected: 1.txt", 'ünïcødé 😀.html', `${'n'.repeat(250)}.txt`]) {
      const fileId = await uploadFile(t(), a, group.id, name, 'hello');
      const res = await get(t(), `/api/v1/files/${fileId}?inline=1`, { authorization: `Bearer ${a.token}` });
      expect(res.status, name).toBe(200);
      const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase());
      expect(names, name).not.toContain('x-injected');
      expect(names, name).not.toContain('set-cookie');
      expect(names.filter((h) => h === 'content-disposition'), name).toHaveLength(1);
      const cd = res.headers['content-disposition']!;
      expect(cd, name).toMatch(/^(attachment|inline); filename="[\x20-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+.^_`|~%-]*$/);
      expect(cd.match(/filename="([^"]*)"/)![1]).not.toContain('"');
      // Anything that could run as a page is served as opaque bytes.
      expect(res.headers['content-type']).not.toMatch(/html/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const files = await a.api.call(api.files.listForConversation, { params: { id: group.id } });
      expect(Array.isArray(files.items)).toBe(true);
    }
  });
});
