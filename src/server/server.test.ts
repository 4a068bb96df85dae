import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { startServer } from './server.js';
import { createTestDatabase, testDatabases } from './testing/databases.js';
import { makeUser } from './testing/factories.js';
import { startTestServer } from './testing/server.js';

/**
 * A WebSocket client that completes the handshake and then never reads again, so it never
 * answers the server's close frame: shutdown has to stop waiting for it on its own.
 */
async function deafWebSocket(port: number, token: string): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  s.write(
    `GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ${token}\r\n\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
      else resolve();
    };
    s.on('data', onData);
    s.on('error', reject);
  });
  s.pause();
  return s;
}

for (const kind of testDatabases()) {
  describe(`shutdown of a node [${kind}]`, () => {
    it('answers requests that arrive while closing with the JSON 503, then stops within seconds', async () => {
      const t = await startTestServer(kind);
      const user = await makeUser(t);
      const deaf = await deafWebSocket(t.server.port, user.token);
      const started = Date.now();
      const closing = t.close();
      await new Promise((r) => setTimeout(r, 150));

      const res = await fetch(`${t.url}/healthz`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('connection')).toBe('close');
      expect(await res.json()).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });

      await closing;
      // The deaf socket is cut after the one-second close handshake allowance, not waited on.
      expect(Date.now() - started).toBeLessThan(5000);
      const cut = deaf.destroyed || (await new Promise<boolean>((resolve) => (deaf.once('close', () => resolve(true)), deaf.resume())));
      expect(cut).toBe(true);
      await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    });

    it('fails to start on a port in use and releases what it opened', async () => {
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as net.AddressInfo).port;
      const db = await createTestDatabase(kind);
      try {
        const config = resolveConfig({ port, dataDir: db.dir, databaseUrl: db.url, webDir: null }, {});
        await expect(startServer(config, { log: pino({ level: 'silent' }) })).rejects.toThrow(/EADDRINUSE/);
        if (kind === 'postgres') {
          // The failed node closed its pool: no session of it is left on the database.
          const c = new pg.Client({ connectionString: db.url });
          await c.connect();
          try {
            // A closed connection's backend process exits a moment after the client hangs up,
            // so it may still be listed briefly; a leaked one stays listed.
            const count = async () => (await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')).rows[0]!.n;
            let n = await count();
            for (let i = 0; i < 20 && n > 0; i++) {
              await new Promise((r) => setTimeout(r, 100));
              n = await count();
            }
            expect(n).toBe(0);
          } finally {
            await c.end();
          }
        }
        // A node started afterwards on the same database works.
        const again = await startServer({ ...config, port: 0 }, { log: pino({ level: 'silent' }) });
        expect((await fetch(`http://127.0.0.1:${again.port}/healthz`)).status).toBe(200);
        await again.close();
      } finally {
        blocker.close();
        await db.drop();
      }
    });

    if (kind === 'postgres') {
      it('opens no more PostgreSQL connections than PARLEY_DB_POOL_SIZE allows', async () => {
        const db = await createTestDatabase(kind);
        const t = await startTestServer(kind, { database: db, config: { dbPoolSize: 5 } });
        const u = await makeUser(t);
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          // Sessions locked: every signed-in request holds a pooled connection while it waits,
          // so forty of them make the pool open all it may.
          await c.query('begin');
          await c.query('lock table sessions in access exclusive mode');
          const answers = Promise.all(Array.from({ length: 40 }, () => fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${u.token}` } })));
          await new Promise((r) => setTimeout(r, 1000));
          const { rows } = await c.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
          await c.query('rollback');
          expect((await answers).map((r) => r.status)).toEqual(Array(40).fill(200));
          expect(rows[0]!.n).toBe(5);
        } finally {
          await c.end();
          await t.close();
        }
      });
    }
  });
}
