import { randomBytes } from 'node:crypto';

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
  return time + randomBytes(10).toString('hex');
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
