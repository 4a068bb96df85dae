import type SQLite from 'better-sqlite3';
import { sql, SqliteAdapter, type Expression, type RawBuilder } from 'kysely';
import type { Executor } from '../context.js';

/**
 * Lower-casing for case-insensitive name matching and sorting (the directory's search and an
 * org's user list), done by the database on both sides of a comparison.
 *
 * SQLite's built-in lower() folds A–Z only, so "élodie" never matched "Élodie" there while
 * PostgreSQL's lower() folds every letter. On SQLite, `unicode_lower()` is a JavaScript function
 * registered on every connection the node and the operator's commands open (`openDatabase`);
 * PostgreSQL keeps its lower(). It has a name of its own rather than replacing lower(): a
 * connection that lacks it (an operator's sqlite3 shell) fails with "no such function" instead of
 * silently folding ASCII only. No index or stored value depends on it: it is only ever computed
 * in a query.
 *
 * It lower-cases each character on its own, as PostgreSQL does: JavaScript turns a capital sigma
 * at the end of a word into a final sigma (ς), which would make "ΟΔΥΣ" typed as a prefix stop
 * matching "Οδυσσεύς" (σ).
 */
export function foldCase(s: string): string {
  return s.replaceAll('Σ', 'σ').toLowerCase();
}

/** Registers `unicode_lower` on a SQLite connection (see above). */
export function registerFoldCase(raw: SQLite.Database): void {
  raw.function('unicode_lower', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? foldCase(v) : v));
}

/** `value` lower-cased by the database, the same way for the stored column and for what a person typed. */
export function lowerSql(db: Executor, value: Expression<string> | string): RawBuilder<string> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? sql<string>`unicode_lower(${value})` : sql<string>`lower(${value})`;
}
