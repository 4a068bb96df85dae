import { badRequest } from './errors.js';

/**
 * Opaque page cursors: the sort key of the last item of a page, as base64url JSON. Clients pass
 * them back unchanged; anything that does not decode to the expected keys is a 400, never a 500.
 */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The JSON inside a cursor, or undefined when the text is not base64url JSON. */
export function readCursor(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Text that a cursor may carry into a query: bounded, and what both databases compare as it is
 * (PostgreSQL refuses a NUL with an error, and a lone surrogate is not Unicode). A cursor is only
 * ever made by the server, so anything else is a forged one.
 */
export function isCursorText(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 300 && !v.includes('\u0000') && v.isWellFormed();
}

export function decodeCursor<K extends string>(cursor: string | undefined, keys: readonly K[]): Record<K, string> | null {
  if (cursor === undefined) return null;
  const parsed = readCursor(cursor);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('Invalid cursor');
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = (parsed as Record<string, unknown>)[k];
    if (!isCursorText(v)) throw badRequest('Invalid cursor');
    out[k] = v;
  }
  return out;
}

/** Rows fetched with one extra: the page, and the cursor of its last item when more follow. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Record<string, string>): { items: T[]; next?: string } {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(keyOf(items[items.length - 1]!)) };
}
