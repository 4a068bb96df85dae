import net from 'node:net';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { AppContext } from '../context.js';
import { tempContext } from '../testing/context.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser } from '../testing/factories.js';
import { installErrorHandling } from './error-handler.js';
import { AppError } from './errors.js';

const GENERIC = { error: { code: 'internal_error', message: expect.any(String) } };

/** A 500 body says nothing about the cause: no message, no stack, no SQL, no file paths. */
function expectNoLeak(text: string, secret: string) {
  expect(text).not.toContain(secret);
  expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|node_modules|select|insert|from "/i);
}

describe('error handling on a bare Fastify instance', () => {
  it('answers a thrown non-AppError with a generic 500 and logs the cause', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) }));
    const app: FastifyInstance = Fastify({ loggerInstance: log as FastifyBaseLogger });
    installErrorHandling(app);
    app.get('/boom', async () => {
      throw new Error('secret-detail: connection to 10.0.0.7 refused');
    });
    app.get('/string', async () => {
      throw 'secret-string';
    });
    app.get('/app-error', async () => {
      throw new AppError(409, 'conflict', 'Already there', {}, { 'x-parley-test': '1' });
    });
    try {
      for (const [url, secret] of [
        ['/boom', 'secret-detail'],
        ['/string', 'secret-string'],
      ] as const) {
        const res = await app.inject({ url });
        expect(res.statusCode).toBe(500);
        expect(res.json()).toEqual(GENERIC);
        expectNoLeak(res.body, secret);
      }
      // The operator still finds the cause in the log.
      expect(lines.join('')).toContain('secret-detail');
      const known = await app.inject({ url: '/app-error' });
      expect(known.statusCode).toBe(409);
      expect(known.headers['x-parley-test']).toBe('1');
      expect(known.json()).toEqual({ error: { code: 'conflict', message: 'Already there' } });
      const missing = await app.inject({ url: '/nowhere?x=1' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: { code: 'route_not_found', message: 'No route GET /nowhere' } });
    } finally {
      await app.close();
    }
  });
});

describe('error handling in the real application', () => {
  let node: Awaited<ReturnType<typeof tempContext>>;
  let ctx: AppContext;
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    node = await tempContext('parley-errors-');
    ctx = node.ctx;
    app = await buildApp(ctx);
    // Routes added by the test before the app is ready, behind every real hook and parser.
    app.get('/test/throw', async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'secret_column')");
    });
    app.get('/test/sql', async () => {
      await sql`select secret_column from no_such_table`.execute(ctx.db);
      return { ok: true };
    });
    app.post('/test/throw-after-body', async (req) => {
      throw new RangeError(`bad ${JSON.stringify(req.body)}`);
    });
  });

  afterAll(async () => {
    await app.close();
    await node.dispose();
  });

  it('answers 500 internal_error without message, stack or SQL', async () => {
    for (const url of ['/test/throw', '/test/sql']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toContain('application/json');
      expect(res.json()).toEqual(GENERIC);
      expectNoLeak(res.body, 'secret_column');
      expect(res.body).not.toContain('no_such_table');
    }
    const res = await app.inject({ method: 'POST', url: '/test/throw-after-body', payload: { password: 'hunter2' } });
    expect(res.statusCode).toBe(500);
    expectNoLeak(res.body, 'hunter2');
  });

  it('still serves after the failures', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

/** Sends raw bytes and resolves with the status line's code (0 if the server just hung up). */
function rawRequest(port: number, head: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close while a huge request is still being written; what it answered counts.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      reject(err);
    });
    s.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    s.setTimeout(10_000, () => s.destroy());
    s.write(head);
    if (body) s.write(body);
  });
}

describeEachDb('hostile requests', (t) => {
  const port = () => Number(new URL(t().url).port);

  async function expectStillServing() {
    const res = await fetch(`${t().url}/healthz`);
    expect(res.status).toBe(200);
  }

  it.each([
    '/api/v1/conversations/%E0%A4%A',
    '/api/v1/conversations/%',
    '/api/v1/%zz/x',
    '/%',
    '/api/v1/conversations/%00',
    '/api/v1/files/%c0%ae%c0%ae%2f%c0%ae%c0%ae',
    '/api/v1/conversations/x?limit=%ZZ&limit=1&limit[]=2',
    '/api/v1/orgs/%FF%FE/users',
  ])('URL-encoded garbage %s gets a 4xx JSON answer', async (url) => {
    const user = await makeUser(t());
    const res = await rawRequest(port(), `GET ${url} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${user.token}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).toMatch(/\r\n\r\n\{"error":\{"code":"[a-z_]+"/);
    await expectStillServing();
  });

  it('a 1 MB URL gets a 4xx', async () => {
    const res = await rawRequest(port(), `GET /api/v1/me?q=${'a'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.text.slice(res.text.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'invalid_request', message: expect.any(String) } });
    await expectStillServing();
  });

  it('a 1 MB path segment gets a 4xx', async () => {
    const res = await rawRequest(port(), `GET /api/v1/conversations/${'a'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await expectStillServing();
  });

  it('a flood of headers gets a 4xx', async () => {
    const headers = Array.from({ length: 10_000 }, (_, i) => `X-Flood-${i}: ${'v'.repeat(20)}\r\n`).join('');
    const res = await rawRequest(port(), `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(res.text).toContain('{"error":{"code":"invalid_request"');
    await expectStillServing();
  });

  it('broken HTTP framing gets a 400 in the contract format', async () => {
    const res = await rawRequest(port(), `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('{"error":{"code":"invalid_request"');
    await expectStillServing();
  });

  it('one enormous header gets a 4xx', async () => {
    const res = await rawRequest(port(), `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(200_000)}\r\nConnection: close\r\n\r\n`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await expectStillServing();
  });

  it.each([
    ['objects 10,000 deep', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['arrays 10,000 deep', '['.repeat(10_000) + ']'.repeat(10_000)],
    ['arrays 300,000 deep', '['.repeat(300_000) + ']'.repeat(300_000)],
    ['objects 100,000 deep inside a valid field', `{"email":"a@b.example","password":"x","extra":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`],
  ])('a JSON body of %s gets a 4xx', async (_name, body) => {
    const user = await makeUser(t());
    for (const [url, token] of [
      ['/api/v1/auth/login', undefined],
      ['/api/v1/conversations', user.token],
      [`/api/v1/orgs/${user.org.id}/settings`, user.token],
    ] as const) {
      const method = url.endsWith('/settings') ? 'PATCH' : 'POST';
      const res = await fetch(`${t().url}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
      expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${url}`).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toEqual(expect.any(String));
    }
    await expectStillServing();
  });

  it('bodies that are not JSON, empty or too large get 400/413 with the contract codes', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${t().url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': type }, body });
    let res = await post('{"email":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_json' } });
    res = await post('');
    expect(res.status).toBe(400);
    res = await post(JSON.stringify({ email: 'a@b.example', password: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    res = await post('{"__proto__":{"admin":true},"email":"a@b.example","password":"x"}');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await expectStillServing();
  });
});
