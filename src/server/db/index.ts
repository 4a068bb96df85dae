import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet, type SqliteStatement } from 'kysely';
import pg from 'pg';
import { limitQueryTime } from './deadline.js';
import { registerFoldCase } from './fold.js';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { registerPostgresPool, registerSqliteHandle } from './precompiled.js';
import { rowReader } from './sqlite-rows.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /** SQLite only: the raw handle, for the message writer's group commit. */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
  /**
   * PostgreSQL: from now on, a query unanswered after `ms` ends its connection and fails (see
   * `deadline.ts`). Set once migrations are done, which may rightly run longer. SQLite: nothing.
   */
  limitQueryTime(ms: number): void;
}

// PostgreSQL answers bigint (and count(*)) as strings; every such value here fits a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The file of a SQLite database URL (a path or `sqlite:` URL); null for PostgreSQL and `:memory:`. */
export function sqliteFile(url: string): string | null {
  if (isPostgresUrl(url)) return null;
  const file = url.replace(/^sqlite:(\/\/)?/i, '');
  return file === ':memory:' ? null : path.resolve(file);
}

/** Opens SQLite (a file path, `:memory:`, or `sqlite:` URL) or PostgreSQL (`postgres://…`). */
export function openDatabase(url: string, opts: { poolSize?: number } = {}): Db {
  if (isPostgresUrl(url)) {
    // A connection that cannot be made within 5 s fails (503) instead of making requests wait for
    // as long as the database is unreachable; keep-alive finds connections that died silently.
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis: 5000, keepAlive: true });
    // A client that errors (the server restarts or ends the connection) must not crash the
    // process. The pool listens only while a client is idle; a client checked out (a transaction
    // between two queries) would emit its 'error' to nobody, so every client gets a listener of
    // its own. Its pending query fails with the error, and the pool discards the client.
    pool.on('error', () => undefined);
    let deadlineMs = 0;
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
      limitQueryTime(client, () => deadlineMs);
    });
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    registerPostgresPool(kysely, pool);
    return {
      kysely,
      dialect: 'postgres',
      close: () => kysely.destroy(),
      limitQueryTime: (ms) => {
        deadlineMs = ms;
      },
    };
  }
  const file = sqliteFile(url);
  if (file) mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file ?? ':memory:');
  // WAL lets readers proceed during writes; FULL sync makes an acknowledged commit survive a
  // crash. Throughput comes from committing many rows per transaction, not from weaker sync.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  registerFoldCase(sqlite);
  // The page cache stays at SQLite's default (2 MiB) although a busy node rewrites more pages than
  // that: a commit whose inserts split a page scans the cache's whole hash table (the split keys a
  // page by a temporary high number, and truncating it back is a full scan), so a larger cache
  // costs every commit more than it saves in reads. Measured at 5,000 msg/s: 32 MiB cost 3–10%
  // more CPU per message. (The temporary number is the page at 1 GiB, so a database past 1 GiB
  // never pays that scan.) Smaller is no better: 400 KiB saved a little at 5,000 msg/s but cost
  // the writer 15–20% at its peak in reads.
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  registerSqliteHandle(kysely, sqlite);
  return { kysely, dialect: 'sqlite', sqlite, close: () => kysely.destroy(), limitQueryTime: () => undefined };
}

/**
 * Kysely prepares every query anew, and preparing costs more than running a small query; an
 * app's queries are a few hundred distinct texts. Statements are kept by SQL text (bounded, least
 * recently used out). Safe because Kysely runs one query at a time on its one connection. Rows
 * are made as precompiled queries make them (`rowReader`).
 */
function withStatementCache(sqlite: SQLite.Database, max = 1000): { prepare(sql: string): SqliteStatement; close(): void } {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(source: string) {
      let stmt = cache.get(source);
      if (stmt) {
        cache.delete(source);
      } else {
        const prepared = sqlite.prepare(source);
        const rows = rowReader(prepared);
        // Kysely runs a statement that returns rows with `all` or `iterate`, any other with `run`.
        stmt = rows ? { reader: true, all: rows.all, iterate: rows.iterate, run: (parameters) => prepared.run(parameters) } : prepared;
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(source, stmt);
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
