import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../shared/api/index.js';
import { ParleyClient } from '../shared/client.js';
import { WS_CLOSE } from '../shared/events.js';
import { resolveConfig } from '../server/config.js';
import { migrations } from '../server/db/migrations/index.js';
import { TestSocket } from '../server/realtime/test-socket.js';
import { createContext } from '../server/server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../server/testing/databases.js';
import { makeOrg, makeUser } from '../server/testing/factories.js';
import type { TestServer } from '../server/testing/server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');

/** Environment of a spawned `parley`: no PARLEY_* settings leak in from the developer's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARLEY_')) env[k] = v;
  return { ...env, PARLEY_LOG_LEVEL: 'info', ...extra };
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function parley(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

const running = new Set<ChildProcess>();
afterAll(() => {
  // A failed test must not leave a server behind.
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `parley serve` and resolves once it answers /healthz. */
async function serve(args: string[], opts: { port?: number } = {}): Promise<Run & { url: string }> {
  const port = opts.port ?? (await freePort());
  const run = parley(['serve', '--port', String(port), ...args]);
  running.add(run.child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`parley serve exited with ${run.child.exitCode}: ${run.stderr()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return { ...run, url };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`parley serve did not come up: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether a new TCP connection to `url` is refused. */
function refused(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function tmpDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'parley-serve-'));
}

describe('parley serve: bad settings', () => {
  it.each([
    [['--port', 'abc'], {}],
    [['--port', '70000'], {}],
    [[], { PARLEY_PORT: 'abc' }],
    [['--redis-url', 'http://127.0.0.1:6379'], {}],
    [[], { PARLEY_REDIS_URL: 'localhost:6379' }],
    [['--smtp-url', 'http://127.0.0.1:25'], {}],
    [['--public-url', 'ftp://chat.example.com'], {}],
    [[], { PARLEY_PUBLIC_URL: 'chat.example.com' }],
    [['--database-url', 'mysql://db/parley'], {}],
  ])('%j %j: exit code 2, one line on stderr, no stack, nothing created', async (args, env) => {
    const dir = path.join(tmpDir(), 'data');
    const run = parley(['serve', '--data-dir', dir, ...args], env);
    running.add(run.child);
    const { code } = await withTimeout(run.exited, 20_000, 'exit');
    expect(code).toBe(2);
    const err = run.stderr().trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).toMatch(/^parley: Invalid /);
    expect(err).not.toMatch(/\n\s+at /);
    // The refusal comes before anything is touched.
    expect(existsSync(dir)).toBe(false);
  });

  it('migrate refuses a bad database URL the same way', async () => {
    const run = parley(['migrate', '--database-url', 'http://db/parley']);
    const { code } = await withTimeout(run.exited, 20_000, 'exit');
    expect(code).toBe(2);
    expect(run.stderr().trim()).toMatch(/^parley: Invalid database URL/);
  });

  it('a port already in use ends the process with a one-line error instead of hanging (Redis connected)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = parley(['serve', '--data-dir', path.join(tmpDir(), 'data'), '--port', String(port), '--redis-url', 'redis://127.0.0.1:6379']);
      running.add(run.child);
      const { code } = await withTimeout(run.exited, 20_000, 'exit');
      expect(code).toBe(1);
      expect(run.stderr().trim()).toMatch(/^parley: .*EADDRINUSE/);
    } finally {
      blocker.close();
    }
  });
});

describe('parley serve: fresh start', () => {
  it('creates the data dir and a WAL SQLite database, migrates it and answers /healthz', async () => {
    const dir = path.join(tmpDir(), 'nested', 'data');
    const s = await serve(['--data-dir', dir]);
    const health = await fetch(`${s.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true });
    const file = path.join(dir, 'parley.db');
    expect(existsSync(file)).toBe(true);
    const db = new SQLite(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const names = (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(Object.keys(migrations).sort());
    } finally {
      db.close();
    }
    s.child.kill('SIGTERM');
    expect((await withTimeout(s.exited, 10_000, 'exit')).code).toBe(0);
  });

  it('takes its settings from PARLEY_* variables', async () => {
    const dir = path.join(tmpDir(), 'from-env');
    const port = await freePort();
    const run = parley(['serve'], { PARLEY_DATA_DIR: dir, PARLEY_PORT: String(port), PARLEY_HOST: '127.0.0.1' });
    running.add(run.child);
    const url = `http://127.0.0.1:${port}`;
    let ok = false;
    for (let i = 0; i < 200 && !ok; i++) {
      ok = await fetch(`${url}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
    expect(existsSync(path.join(dir, 'parley.db'))).toBe(true);
    run.child.kill('SIGTERM');
    expect((await withTimeout(run.exited, 10_000, 'exit')).code).toBe(0);
  });

  if (testDatabases().includes('postgres')) {
    it('works the same on PostgreSQL (--database-url postgres://…)', async () => {
      const db = await createTestDatabase('postgres');
      try {
        const s = await serve(['--data-dir', path.join(db.dir, 'data'), '--database-url', db.url]);
        expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          const { rows } = await c.query<{ name: string }>('select name from kysely_migration order by name');
          expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
        } finally {
          await c.end();
        }
        // Uploaded files still live in the data dir.
        expect(existsSync(path.join(db.dir, 'data'))).toBe(true);
        s.child.kill('SIGTERM');
        expect((await withTimeout(s.exited, 10_000, 'exit')).code).toBe(0);
      } finally {
        await db.drop();
      }
    });
  }
});

describe('parley migrate', () => {
  for (const kind of testDatabases()) {
    it(`on a fresh ${kind} database prints what it applied, then that it is up to date`, async () => {
      const db: TestDatabase = await createTestDatabase(kind);
      try {
        const first = parley(['migrate', '--database-url', db.url]);
        expect((await withTimeout(first.exited, 30_000, 'migrate')).code).toBe(0);
        const lines = first.stdout().trim().split('\n');
        expect(lines).toEqual([...Object.keys(migrations).map((name) => `applied: ${name}`), 'The database is up to date.']);
        const second = parley(['migrate', '--database-url', db.url]);
        expect((await withTimeout(second.exited, 30_000, 'migrate')).code).toBe(0);
        expect(second.stdout().trim()).toBe('The database is up to date.');
      } finally {
        await db.drop();
      }
    });
  }
});

describe('parley serve: graceful shutdown on SIGTERM', () => {
  it('finishes an in-flight request, tells WebSockets 1001, refuses new connections and exits 0', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // People and a chat, written before the node starts (the same database file it will open).
    const config = resolveConfig({ dataDir: dir, port, webDir: null }, {});
    const ctx = await createContext(config, pino({ level: 'silent' }));
    const fakeServer = { ctx, client: (token: string) => new ParleyClient({ baseUrl: url, token, clientName: 'test/1.0.0' }) } as unknown as TestServer;
    const org = await makeOrg(ctx);
    const ann = await makeUser(fakeServer, { org });
    const bob = await makeUser(fakeServer, { org });
    await ctx.lifecycle.close();

    const s = await serve(['--data-dir', dir], { port });
    expect(s.url).toBe(url);
    const chat = await ann.api.call(api.conversations.create, { body: { title: 'shutdown', memberIds: [bob.user.id] } });
    const socket = await TestSocket.open(url, { token: bob.token });

    // A message whose body arrives slowly: headers now, the rest after SIGTERM.
    const body = Buffer.from(JSON.stringify({ clientId: 'slow-1', body: 'sent while the node stops' }));
    const req = http.request(`${url}/api/v1/conversations/${chat.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${ann.token}` },
    });
    const answered = new Promise<{ status: number; text: string; connection?: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }));
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 300));

    s.child.kill('SIGTERM');
    const closed = await withTimeout(socket.closed, 5000, 'websocket close');
    expect(closed.code).toBe(WS_CLOSE.goingAway);
    expect(closed.code).toBe(1001);
    // The listener is gone while the slow request is still being read.
    const deadline = Date.now() + 3000;
    while (!(await refused(url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await refused(url)).toBe(true);
    expect(s.child.exitCode).toBeNull();

    req.end(body.subarray(10));
    const res = await withTimeout(answered, 5000, 'in-flight answer');
    expect(res.status).toBe(201);
    // seq 2: the group's creation note is seq 1.
    expect(JSON.parse(res.text)).toMatchObject({ clientId: 'slow-1', body: 'sent while the node stops', seq: 2 });
    // The client is told not to reuse the connection, so nothing keeps the node waiting.
    expect(res.connection).toBe('close');

    const exit = await withTimeout(s.exited, 5000, 'exit');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await refused(url)).toBe(true);

    // What was acknowledged is stored.
    const db = new SQLite(path.join(dir, 'parley.db'), { readonly: true });
    try {
      const row = db.prepare('select body, seq from messages where conversation_id = ? and client_id = ?').get(chat.id, 'slow-1');
      expect(row).toEqual({ body: 'sent while the node stops', seq: 2 });
    } finally {
      db.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 on SIGTERM while an idle keep-alive connection is open', async () => {
    const s = await serve(['--data-dir', tmpDir()]);
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http.get(`${s.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    expect(status).toBe(200);
    const started = Date.now();
    s.child.kill('SIGTERM');
    expect((await withTimeout(s.exited, 5000, 'exit')).code).toBe(0);
    // The idle connection was closed, not waited on until the grace period ran out.
    expect(Date.now() - started).toBeLessThan(4000);
    agent.destroy();
  });
});
