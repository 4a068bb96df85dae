import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type TestDbKind = 'sqlite' | 'postgres';

/**
 * The databases a suite runs against: SQLite always; PostgreSQL when
 * PARLEY_TEST_DATABASE_URL is set (`.ci/run` sets it, so CI runs both).
 */
export function testDatabases(): TestDbKind[] {
  return process.env.PARLEY_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  kind: TestDbKind;
  url: string;
  /** A scratch directory for this database's server (data dir, files). */
  dir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own, so suites and tests never see each other's data. */
export async function createTestDatabase(kind: TestDbKind, opts: { cLocale?: boolean } = {}): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
  if (kind === 'sqlite') {
    return { kind, url: path.join(dir, 'parley.db'), dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.PARLEY_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('PARLEY_TEST_DATABASE_URL is not set');
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(opts.cLocale ? `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    dir,
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
