import http from 'node:http';
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { api } from '../../shared/api/index.js';
import { makeUser, TEST_PASSWORD } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { expectContractError, expectHealthy, raw } from './helpers.js';

/** The status (and first event) a WebSocket handshake gets with exactly these headers. */
function handshake(t: TestServer, headers: Record<string, string>, query = ''): Promise<{ status: number; userId?: string; body: string }> {
  const url = `${t.url.replace(/^http/, 'ws')}/api/v1/events${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    ws.once('message', (data) => {
      const hello = JSON.parse(data.toString()) as { userId?: string };
      ws.close();
      resolve({ status: 101, userId: hello.userId, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** A GET with headers fetch would refuse to send (non-Latin-1 bytes). */
function rawGet(t: TestServer, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${t.url}${path}`, { method: 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function login(t: TestServer, email: string): Promise<{ token: string; cookie: string }> {
  const res = await fetch(`${t.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: TEST_PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^parley_session=./);
  return { token: ((await res.json()) as { token: string }).token, cookie };
}

describeEachDb('security: authentication edges', (t) => {
  it('answers 401 unauthenticated to missing, malformed, garbage and overlong credentials', async () => {
    const u = await makeUser(t());
    const cases: Record<string, string>[] = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer ' },
      { authorization: `Bearer ${u.token} extra` },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: `bearer-ish ${u.token}` },
      { authorization: 'Bearer garbage' },
      { authorization: `Bearer ${u.token.slice(0, -1)}` },
      { authorization: `Bearer ${'x'.repeat(8000)}` },
      { authorization: `Bearer ${u.token}%00` },
      { authorization: "Bearer ' OR 1=1 --" },
      { cookie: 'parley_session=' },
      { cookie: 'parley_session=garbage' },
      { cookie: `parley_session=${'x'.repeat(8000)}` },
      { cookie: 'parley_session=%E0%A4%A' },
    ];
    for (const headers of cases) {
      const res = await raw(t(), 'GET', '/api/v1/me', { headers });
      const label = JSON.stringify(headers).slice(0, 80);
      expect(res.status, label).toBe(401);
      expect(expectContractError(res, label)).toBe('unauthenticated');
    }
    // Bytes fetch would not send: UTF-8 in the header.
    const utf8 = await rawGet(t(), '/api/v1/me', { authorization: Buffer.from('Bearer ☃☃☃', 'utf8').toString('latin1') });
    expect(utf8.status).toBe(401);
    // Headers past the parser's limit: a contract 431, and the node lives on.
    const huge = await raw(t(), 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${'x'.repeat(70_000)}` } }).catch(() => null);
    if (huge) {
      expect(huge.status).toBe(431);
      expect((huge.json as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    await expectHealthy(t());
  });

  it('lets the Bearer header win over a cookie of another user, the same way on HTTP and on the WebSocket', async () => {
    const a = await makeUser(t());
    const b = await makeUser(t());
    const bSession = await login(t(), b.email);
    // Documented rule: when an Authorization header is present it alone decides; the cookie is not looked at.
    const me = await raw(t(), 'GET', '/api/v1/me', { token: a.token, headers: { cookie: bSession.cookie } });
    expect((me.json as { user: { id: string } }).user.id).toBe(a.user.id);
    const ws = await handshake(t(), { authorization: `Bearer ${a.token}`, cookie: bSession.cookie, origin: t().url });
    expect(ws).toMatchObject({ status: 101, userId: a.user.id });
    // A broken Authorization header does not fall back to the cookie, on either path.
    const broken = await raw(t(), 'GET', '/api/v1/me', { headers: { authorization: 'Bearer nope', cookie: bSession.cookie } });
    expect(broken.status).toBe(401);
    const brokenWs = await handshake(t(), { authorization: 'Bearer nope', cookie: bSession.cookie, origin: t().url });
    expect(brokenWs.status).toBe(401);
    // The cookie alone works on both.
    const byCookie = await raw(t(), 'GET', '/api/v1/me', { headers: { cookie: bSession.cookie } });
    expect((byCookie.json as { user: { id: string } }).user.id).toBe(b.user.id);
    expect(await handshake(t(), { cookie: bSession.cookie, origin: t().url })).toMatchObject({ status: 101, userId: b.user.id });
  });

  it('refuses a session cookie after logout, on HTTP and on the WebSocket', async () => {
    const u = await makeUser(t());
    const s = await login(t(), u.email);
    const out = await raw(t(), 'POST', '/api/v1/auth/logout', { headers: { cookie: s.cookie } });
    expect(out.status).toBe(200);
    const me = await raw(t(), 'GET', '/api/v1/me', { headers: { cookie: s.cookie } });
    expect(me.status).toBe(401);
    expect(expectContractError(me, 'after logout')).toBe('unauthenticated');
    expect((await handshake(t(), { cookie: s.cookie, origin: t().url })).status).toBe(401);
    expect((await handshake(t(), {}, `?token=${encodeURIComponent(s.token)}`)).status).toBe(401);
    // The other session of the same person is untouched.
    expect((await raw(t(), 'GET', '/api/v1/me', { token: u.token })).status).toBe(200);
  });

  it("closes a signed-out device's WebSocket at once, and only that device's", async () => {
    const u = await makeUser(t());
    const s = await login(t(), u.email);
    const { TestSocket } = await import('../realtime/test-socket.js');
    const ended = await TestSocket.open(t().url, { token: s.token });
    const other = await TestSocket.open(t().url, { token: u.token });
    expect((await raw(t(), 'POST', '/api/v1/auth/logout', { headers: { cookie: s.cookie } })).status).toBe(200);
    const closed = await Promise.race([ended.closed, new Promise<null>((r) => setTimeout(() => r(null), 1000))]);
    expect(closed?.code, 'the signed-out socket is still open').toBe(4001);
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    other.close();
  });

  it('refuses a cookie-authenticated WebSocket upgrade from a foreign Origin (cross-site WebSocket hijacking)', async () => {
    const u = await makeUser(t());
    const s = await login(t(), u.email);
    const host = new URL(t().url).host;
    for (const origin of ['https://evil.example', 'null', `http://${host}.evil.example`, `http://evil.example/${host}`, `ftp://${host}`]) {
      const res = await handshake(t(), { cookie: s.cookie, origin });
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'forbidden' } });
    }
    // An empty Authorization header is no credential of its own: the cookie is still checked.
    expect((await handshake(t(), { cookie: s.cookie, authorization: '', origin: 'https://evil.example' })).status).not.toBe(101);
    // Same origin (the public URL, or the Host the browser connected to) is fine.
    expect(await handshake(t(), { cookie: s.cookie, origin: t().url })).toMatchObject({ status: 101, userId: u.user.id });
    expect(await handshake(t(), { cookie: s.cookie, origin: `http://${host}` })).toMatchObject({ status: 101, userId: u.user.id });
    // Explicit credentials cannot be sent by another site's page without the token: no Origin check.
    expect(await handshake(t(), { authorization: `Bearer ${u.token}`, origin: 'https://evil.example' })).toMatchObject({ status: 101 });
    expect(await handshake(t(), { origin: 'https://evil.example' }, `?token=${encodeURIComponent(u.token)}`)).toMatchObject({ status: 101 });
    // A foreign page's cookie is ignored, but its own ?token= still counts.
    expect(await handshake(t(), { cookie: s.cookie, origin: 'https://evil.example' }, `?token=${encodeURIComponent(u.token)}`)).toMatchObject({
      status: 101,
      userId: u.user.id,
    });
    // Non-browser clients send no Origin and have no ambient cookie jar: allowed.
    expect(await handshake(t(), { cookie: s.cookie })).toMatchObject({ status: 101 });
  });

  it('keeps tokens out of answers and logs in only with the right password', async () => {
    const u = await makeUser(t());
    const wrong = await raw(t(), 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: u.email, password: `${TEST_PASSWORD}x` }),
    });
    expect(wrong.status).toBe(401);
    expect(expectContractError(wrong, 'wrong password')).toBe('invalid_credentials');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const me = await u.api.call(api.auth.me);
    expect(JSON.stringify(me)).not.toContain(u.token);
  });
});
