import { randomFillSync } from 'node:crypto';
import { SqliteAdapter } from 'kysely';
import type { Executor } from '../context.js';

/**
 * Row locks (`FOR UPDATE`) where the database has them: PostgreSQL. SQLite has none and needs
 * none: a write transaction there excludes every other writer, of any process, until it ends.
 */
export function lockRows(db: Executor): boolean {
  return !(db.getExecutor().adapter instanceof SqliteAdapter);
}

/** Current time as the ISO-8601 text every table stores. */
export function nowIso(at: number = Date.now()): string {
  return new Date(at).toISOString();
}

/**
 * Ids are 20 random bytes in base32-like lowercase text, prefixed by a time component so that
 * ids made later sort later (handy for paging and debugging).
 */
export function newId(): string {
  const time = Date.now().toString(36).padStart(9, '0');
  return time + randomHex10();
}

// Random bytes are drawn 4 KiB at a time: one call into the CSPRNG per ~400 ids instead of one
// per id (ids are made per message, at chat rates). Each id still takes 10 bytes never used before.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomHex10(): string {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + 10);
  poolAt += 10;
  return hex;
}

/**
 * Two rows (flat objects of column values) with the same columns and values, but for the columns
 * in `ignore`. Caches use it to keep the copy they hold when a reload finds nothing new.
 */
export function sameRow(a: object, b: object, ignore?: ReadonlySet<string>): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(y);
  if (Object.keys(x).length !== keys.length) return false;
  for (const k of keys) if (x[k] !== y[k] && !ignore?.has(k)) return false;
  return true;
}

export function bool(n: number | null | undefined): boolean {
  return n === 1;
}

export function int(b: boolean): number {
  return b ? 1 : 0;
}

/** True when `err` is a unique-constraint violation on either database. */
export function isUniqueViolation(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
