import type SQLite from 'better-sqlite3';
import { sql, SqliteAdapter, type DialectAdapter, type Expression, type RawBuilder } from 'kysely';
import type { Executor } from '../context.js';

/**
 * Lower-casing for case-insensitive name matching and sorting (the directory's search and an
 * org's user list), done by the database on both sides of a comparison.
 *
 * SQLite's built-in lower() folds A–Z only, so "élodie" never matched "Élodie" there. On SQLite,
 * `unicode_lower()` is a JavaScript function registered on every connection the node and the
 * operator's commands open (`openDatabase`); PostgreSQL lower-cases with ICU (see `lowerSql`). It
 * has a name of its own rather than replacing lower(): a connection that lacks it (an operator's
 * sqlite3 shell) fails with "no such function" instead of silently folding ASCII only. No index or
 * stored value depends on it: it is only ever computed in a query.
 *
 * Capital sigmas are made small before the rest is lower-cased: JavaScript (and ICU) turn a
 * capital sigma at the end of a word into a final sigma (ς), which would make "ΟΔΥΣ" typed as a
 * prefix stop matching "Οδυσσεύς" (σ).
 */
export function foldCase(s: string): string {
  return s.replaceAll('Σ', 'σ').toLowerCase();
}

/** Registers `unicode_lower` on a SQLite connection (see above). */
export function registerFoldCase(raw: SQLite.Database): void {
  raw.function('unicode_lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? foldCase(v) : v));
}

/**
 * PostgreSQL servers with ICU's root collation (`und-x-icu`), by their Kysely adapter (shared by a
 * database's transactions and connections). PostgreSQL's plain lower() follows the database's
 * LC_CTYPE: under "C" it folds A–Z only, as SQLite's does, and under glibc locales a few letters
 * differ from JavaScript (İ). ICU's folding is the same whatever the locale, and the same as
 * `foldCase` once capital sigmas are made small first (ICU, too, would make a final sigma).
 */
const icuServers = new WeakSet<DialectAdapter>();

/** Finds out, once per database, whether its server has ICU (every common build has). */
export async function probeCaseFolding(db: Executor): Promise<void> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) return;
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_collation WHERE collname = 'und-x-icu'`.execute(db);
  if (Number(r.rows[0]?.n) > 0) icuServers.add(adapter);
}

/** `value` lower-cased by the database, the same way for the stored column and for what a person typed. */
export function lowerSql(db: Executor, value: Expression<string> | string): RawBuilder<string> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof SqliteAdapter) return sql<string>`unicode_lower(${value})`;
  // The result goes back to the database's own collation, so LIKE and ORDER BY work as before.
  if (icuServers.has(adapter)) return sql<string>`(lower(replace(${value}, 'Σ', 'σ') COLLATE "und-x-icu") COLLATE "default")`;
  return sql<string>`lower(${value})`;
}
