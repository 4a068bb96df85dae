import SQLite from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl, sqliteFile } from '../server/db/index.js';
import { migrations } from '../server/db/migrations/index.js';
import { redactUrl } from '../server/config.js';
import { CliError } from './util.js';

/** Kysely's record of the migrations a database has run (Parley keeps Kysely's default names). */
const MIGRATION_TABLE = 'kysely_migration';
const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';

/** What a database holds, as far as deciding whether an operator command may act on it. */
interface Found {
  /** Tables and views of the database's own, Kysely's migration tables excepted. */
  tables: string[];
  /** Names recorded in the migration table, or null when there is none. */
  applied: string[] | null;
}

async function inspectSqlite(url: string): Promise<Found> {
  const file = sqliteFile(url);
  // Read-only: looking must not change a file that may be another application's (opening it
  // the way the server does would already switch it to WAL).
  const db = file ? new SQLite(file, { readonly: true, fileMustExist: true }) : new SQLite(':memory:');
  try {
    const names = db
      .prepare(`SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`)
      .all() as { name: string }[];
    const all = names.map((r) => r.name);
    const applied = all.includes(MIGRATION_TABLE) ? (db.prepare(`SELECT name FROM ${MIGRATION_TABLE}`).all() as { name: string }[]).map((r) => r.name) : null;
    return { tables: all.filter((n) => n !== MIGRATION_TABLE && n !== MIGRATION_LOCK_TABLE), applied };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new CliError(`${file} is not a SQLite database: check --data-dir / --database-url`, 2);
    throw err;
  } finally {
    db.close();
  }
}

async function inspectPostgres(url: string): Promise<Found> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'`,
    );
    // Kysely's migrator names its table without a schema: the first of the search path.
    const own = await client.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [MIGRATION_TABLE]);
    const applied = own.rows[0]?.found ? (await client.query<{ name: string }>(`SELECT name FROM ${MIGRATION_TABLE}`)).rows.map((r) => r.name) : null;
    return { tables: tables.rows.map((r) => r.name).filter((n) => n !== MIGRATION_TABLE && n !== MIGRATION_LOCK_TABLE), applied };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Refuses, before anything is written, a database an operator command must not act on: only
 * `parley migrate` and `parley serve` create or change Parley's schema. Without this, a command
 * pointed at the wrong database (another application's, or an empty one from a typo) would
 * create Parley's tables in it, and one pointed at a database a newer or older Parley made would
 * migrate it behind the back of the nodes still running the other version.
 */
export async function checkOperatorDatabase(url: string): Promise<void> {
  const found = isPostgresUrl(url) ? await inspectPostgres(url) : await inspectSqlite(url);
  const where = sqliteFile(url) ?? (isPostgresUrl(url) ? redactUrl(url, 'the given URL') : url);
  const known = Object.keys(migrations);
  const applied = found.applied ?? [];
  const ours = applied.filter((n) => known.includes(n));
  if (ours.length === 0) {
    if (found.tables.length === 0 && applied.length === 0) {
      throw new CliError(`The database at ${where} is empty, not a Parley database: create it with \`parley migrate\` (\`parley serve\` does too), or check --data-dir / --database-url`);
    }
    throw new CliError(`The database at ${where} is not a Parley database (it has tables of its own and no Parley schema); nothing was changed: check --data-dir / --database-url`, 2);
  }
  const unknown = applied.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new CliError(`The database at ${where} was set up by a newer version of Parley (migration ${unknown[0]}): use that version's \`parley\``);
  }
  const missing = known.filter((n) => !applied.includes(n));
  if (missing.length > 0) {
    throw new CliError(`The database at ${where} is behind this version of Parley (${missing.length} migration${missing.length === 1 ? '' : 's'} to apply): run \`parley migrate\` first`);
  }
}

