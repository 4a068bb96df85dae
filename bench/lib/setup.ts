import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { doCreateSession } from '../../src/server/accounts/sessions.js';
import { insertUser } from '../../src/server/accounts/store.js';
import { normalizeEmail } from '../../src/server/accounts/tokens.js';
import type { AppContext } from '../../src/server/context.js';
import { ChildServer, openDataContext } from '../../src/server/realtime/child-server.js';
import { createTestDatabase, type TestDatabase } from '../../src/server/testing/databases.js';
import { makeOrg } from '../../src/server/testing/factories.js';

export interface BenchUser {
  id: string;
  email: string;
  tokens: string[];
}

export interface Deployment {
  nodes: ChildServer[];
  ctx: AppContext;
  dataDir: string;
  databaseUrl?: string;
  close(): Promise<void>;
}

export interface DeploymentOptions {
  postgres?: string;
  redis?: string;
  nodes: number;
  /** CPU list for the server processes (taskset), or null. */
  cpus: string | null;
  env?: Record<string, string>;
  /** Writes a CPU profile of each server process into this folder (`--profile`). */
  profileDir?: string;
}

/** Starts the server process(es) on a fresh data directory (and a fresh PostgreSQL database). */
export async function startDeployment(opts: DeploymentOptions): Promise<Deployment> {
  let pg: TestDatabase | null = null;
  let dataDir: string;
  if (opts.postgres) {
    process.env.PARLEY_TEST_DATABASE_URL = opts.postgres;
    pg = await createTestDatabase('postgres');
    dataDir = pg.dir;
  } else {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
  }
  const databaseUrl = pg?.url;
  const nodes: ChildServer[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    nodes.push(await ChildServer.start({ dataDir, databaseUrl, redisUrl: opts.redis, cpus: opts.cpus ?? undefined, env: opts.env, nodeArgs: opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : undefined }));
  }
  const ctx = await openDataContext(dataDir, databaseUrl);
  return {
    nodes,
    ctx,
    dataDir,
    databaseUrl,
    close: async () => {
      await ctx.lifecycle.close();
      for (const n of nodes) await n.stop();
      if (pg) await pg.drop();
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Users and sessions written straight into the database in one transaction: setting up is not
 * what is measured, so it takes seconds, not the minutes sign-up would.
 */
export async function seedUsers(ctx: AppContext, count: number, sessionsPerUser = 1): Promise<BenchUser[]> {
  const org = await makeOrg(ctx, { plan: 'paid', name: 'Bench Org' });
  const users: BenchUser[] = [];
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    await ctx.db.transaction().execute(async (trx) => {
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const email = `bench${i}@${org.domain}`;
        const row = await insertUser(trx, {
          orgId: org.id,
          email,
          emailNorm: normalizeEmail(email),
          displayName: `Bench ${i}`,
          passwordHash: null,
          role: 'member',
          verified: true,
        });
        const tokens: string[] = [];
        for (let s = 0; s < sessionsPerUser; s++) tokens.push((await doCreateSession(trx, row.id)).token);
        users.push({ id: row.id, email, tokens });
      }
    });
  }
  return users;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One JSON request over a keep-alive connection. */
export function request(url: string, method: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'parley-client': 'bench/1.0.0',
          ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** Direct chats between user 2i and 2i+1, started through the API (the same path as clients). */
export async function startDirectChats(baseUrl: string, users: BenchUser[], chats: number): Promise<{ id: string; a: number; b: number }[]> {
  const pairs = Array.from({ length: chats }, (_, i) => ({ a: (2 * i) % users.length, b: (2 * i + 1) % users.length }));
  return pool(pairs, 16, async (p) => {
    const res = await request(`${baseUrl}/api/v1/conversations/direct`, 'POST', users[p.a]!.tokens[0]!, { email: users[p.b]!.email });
    if (res.status !== 201 && res.status !== 200) throw new Error(`starting a chat failed: ${res.status} ${res.text}`);
    return { id: (JSON.parse(res.text) as { id: string }).id, a: p.a, b: p.b };
  });
}
