import net from 'node:net';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { installErrorHandling } from '../http/error-handler.js';
import { tempContext } from '../testing/context.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../testing/databases.js';
import { QUERY_DEADLINE_CODE } from './deadline.js';
import { isDatabaseUnavailable } from './errors.js';
import { openDatabase, type Db } from './index.js';

const UNAVAILABLE = { error: { code: 'service_unavailable', message: expect.any(String) } };

describe('database outages', () => {
  it('answers errors that say the database is unreachable with 503 and Retry-After, others with 500', async () => {
    const app = Fastify({ logger: false });
    installErrorHandling(app);
    const outages: Record<string, () => unknown> = {
      refused: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      restart: () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      starting: () => Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      broken: () => new Error('Connection terminated unexpectedly'),
      pool: () => new Error('timeout exceeded when trying to connect'),
      busy: () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }),
      stalled: () => Object.assign(new Error('The database did not answer within 15000 ms'), { code: QUERY_DEADLINE_CODE }),
    };
    for (const [name, make] of Object.entries(outages)) {
      app.get(`/${name}`, async () => {
        throw make();
      });
    }
    app.get('/wrong-sql', async () => {
      throw Object.assign(new Error('relation "x" does not exist'), { code: '42P01' });
    });
    try {
      for (const name of Object.keys(outages)) {
        const res = await app.inject({ url: `/${name}` });
        expect(res.statusCode, name).toBe(503);
        expect(res.headers['retry-after'], name).toBe('2');
        expect(res.json(), name).toEqual(UNAVAILABLE);
      }
      const wrong = await app.inject({ url: '/wrong-sql' });
      expect(wrong.statusCode).toBe(500);
      expect(wrong.json().error.code).toBe('internal_error');
    } finally {
      await app.close();
    }
  });

  describe('a node whose database cannot be reached', () => {
    let node: Awaited<ReturnType<typeof tempContext>>;
    let dead: Db;
    let app: Awaited<ReturnType<typeof buildApp>>;

    beforeAll(async () => {
      node = await tempContext('parley-outage-');
      // Nothing listens on port 1: every connection is refused, as when PostgreSQL is down.
      dead = openDatabase('postgres://postgres@127.0.0.1:1/parley');
      app = await buildApp({ ...node.ctx, db: dead.kysely, dialect: 'postgres', dbHandle: dead });
    });

    afterAll(async () => {
      await app.close();
      await dead.close();
      await node.dispose();
    });

    it('answers 503 service_unavailable at once, /healthz included, and never 500', async () => {
      const requests = [
        { url: '/healthz' },
        { url: '/api/v1/me', headers: { authorization: 'Bearer some-token' } },
        { url: '/api/v1/conversations', headers: { authorization: 'Bearer some-token' } },
        { method: 'POST' as const, url: '/api/v1/auth/login', payload: { email: 'ann@acme.example', password: 'a long password' } },
      ];
      for (const r of requests) {
        const started = Date.now();
        const res = await app.inject(r);
        expect(res.statusCode, r.url).toBe(503);
        expect(res.json(), r.url).toEqual(UNAVAILABLE);
        expect(Date.now() - started, r.url).toBeLessThan(5000);
      }
    });
  });

  describe.runIf(testDatabases().includes('postgres'))('PostgreSQL that stalls (reachable, not answering)', () => {
    it('fails queries left unanswered past the deadline, transactions too, and serves again once it answers', async () => {
      const test = await createTestDatabase('postgres');
      const target = new URL(test.url);
      const proxy = await stallingProxy(Number(target.port || 5432), target.hostname);
      target.host = `127.0.0.1:${proxy.port}`;
      const db = openDatabase(target.toString());
      db.limitQueryTime(400);
      try {
        // Two connections in the pool, idle and healthy.
        await Promise.all([sql`SELECT pg_sleep(0.05)`.execute(db.kysely), sql`SELECT pg_sleep(0.05)`.execute(db.kysely)]);
        proxy.stall();
        const started = Date.now();
        const outcomes = await Promise.allSettled([
          sql`SELECT 1`.execute(db.kysely),
          db.kysely.transaction().execute(async (trx) => sql`SELECT 1`.execute(trx)),
        ]);
        const took = Date.now() - started;
        for (const o of outcomes) {
          expect(o.status).toBe('rejected');
          const err = (o as PromiseRejectedResult).reason as { code?: string };
          expect(err.code).toBe(QUERY_DEADLINE_CODE);
          expect(isDatabaseUnavailable(err)).toBe(true);
        }
        expect(took).toBeGreaterThanOrEqual(350);
        expect(took).toBeLessThan(3000);
        proxy.resume();
        const again = await sql<{ n: number }>`SELECT 41 + 1 AS n`.execute(db.kysely);
        expect(again.rows[0]!.n).toBe(42);
      } finally {
        await db.close();
        proxy.close();
        await test.drop();
      }
    });
  });

  describe.runIf(testDatabases().includes('postgres'))('PostgreSQL ending a connection in the middle of a transaction', () => {
    let test: TestDatabase;
    let db: Db;

    beforeAll(async () => {
      test = await createTestDatabase('postgres');
      db = openDatabase(test.url);
    });

    afterAll(async () => {
      await db.close();
      await test.drop();
    });

    it('fails that transaction, does not crash the process, and the pool serves again', async () => {
      const admin = new pg.Client({ connectionString: process.env.PARLEY_TEST_DATABASE_URL });
      await admin.connect();
      try {
        const outcome = db.kysely.transaction().execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx);
          // The server ends this connection while the transaction holds it between two queries,
          // as a restart does: the client emits 'error' with nobody but the pool's listener.
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await new Promise((r) => setTimeout(r, 300));
          await sql`SELECT 1`.execute(trx);
        });
        await expect(outcome).rejects.toThrow();
        const again = await sql<{ n: number }>`SELECT 41 + 1 AS n`.execute(db.kysely);
        expect(again.rows[0]!.n).toBe(42);
      } finally {
        await admin.end();
      }
    });
  });
});

/** A TCP relay to PostgreSQL that can stop passing bytes, as a stalled database behaves. */
async function stallingProxy(port: number, host: string) {
  let stalled = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(from);
      // While stalled, bytes go nowhere: the connection stays open and no answer ever comes.
      from.on('data', (d: Buffer) => {
        if (!stalled) to.write(d);
      });
      from.on('close', end);
      from.on('error', end);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stall: () => (stalled = true),
    resume: () => (stalled = false),
    close: () => {
      for (const s of open) s.destroy();
      server.close();
    },
  };
}
