import http from 'node:http';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser, TEST_PASSWORD } from '../testing/factories.js';

describeEachDb('cross-site requests carrying only the session cookie', (t) => {
  async function cookieOf(email: string): Promise<string> {
    const res = await fetch(`${t().url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: TEST_PASSWORD }),
    });
    expect(res.status).toBe(200);
    return res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  }

  async function post(path: string, headers: Record<string, string>, body?: unknown) {
    const res = await fetch(`${t().url}${path}`, {
      method: 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { error?: { code: string } } };
  }

  it('refuses a state-changing request from a foreign origin and leaves the session alone', async () => {
    const ann = await makeUser(t());
    const cookie = await cookieOf(ann.email);
    const refused = await post('/api/v1/auth/logout', { cookie, origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.json.error?.code).toBe('forbidden');
    // The session survived: a same-origin request with the cookie still works.
    const me = await fetch(`${t().url}/api/v1/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    // A sibling subdomain is the same "site" for SameSite=Lax, and refused all the same.
    const sibling = await post('/api/v1/conversations/direct', { cookie, origin: 'https://chat.evil.example' }, { email: 'x@y.example' });
    expect(sibling.status).toBe(403);
  });

  it('refuses the cookie from another site however the request is spelled: an empty Authorization header, a spaced cookie name', async () => {
    const ann = await makeUser(t());
    const token = (await cookieOf(ann.email)).split('=')[1]!.split(';')[0]!;
    const { port } = new URL(t().url);
    const raw = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/auth/logout', headers: { origin: 'https://evil.example', ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await raw({ authorization: '', cookie: `parley_session=${token}` })).toBe(403);
    expect(await raw({ cookie: `parley_session =${token}` })).toBe(403);
    expect(await raw({ cookie: `other=1;  parley_session = ${token}` })).toBe(403);
    // The session survived all three.
    expect((await fetch(`${t().url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('accepts the same request from the deployment itself, or without an Origin', async () => {
    const ann = await makeUser(t());
    const bob = await makeUser(t(), { org: ann.org });
    const cookie = await cookieOf(ann.email);
    const own = await post('/api/v1/conversations/direct', { cookie, origin: t().url }, { email: bob.email });
    expect(own.status).toBe(201);
    const noOrigin = await post('/api/v1/conversations/direct', { cookie }, { email: bob.email });
    expect(noOrigin.status).toBe(200);
  });

  it('does not affect clients that send a bearer token', async () => {
    const ann = await makeUser(t());
    const res = await post('/api/v1/auth/logout', { authorization: `Bearer ${ann.token}`, origin: 'https://evil.example' });
    expect(res.status).toBe(200);
    await expect(ann.api.call(api.auth.me)).rejects.toMatchObject({ status: 401 });
  });
});
