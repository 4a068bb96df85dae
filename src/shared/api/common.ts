import { z } from 'zod';

/**
 * Building blocks shared by every domain's route definitions, so the same kind of input is
 * validated the same way everywhere.
 */

/**
 * Characters a name people read must not hold: C0/C1 controls and the line and paragraph
 * separators (they break rendering and logs), and the bidirectional overrides and isolates that
 * make "gpj.exe" read as "exe.jpg", or one person's name read as another's. The direction marks
 * (U+200E, U+200F, U+061C) stay allowed: they cannot reorder letters, and right-to-left names
 * use them.
 */
export const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/**
 * Whether a name or title has something a person can see: a character that is not a space,
 * a format character (zero-width, soft hyphen), a combining mark alone, or a blank look-alike.
 */
export function hasVisibleChar(s: string): boolean {
  return /[^\p{Cf}\p{Z}\p{M}\s\u3164\u2800\u115f\u1160\uffa0\ufffc]/u.test(s);
}

/** Server ids: short, URL-safe text. Anything else (a NUL byte above all, which PostgreSQL
 * refuses with an error) is a 400 before it reaches a query. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'Not a valid id');

/**
 * A page size in a query string: a number or its decimal text (no hex, signs or spaces, which a
 * coercion would take), the same for every list.
 */
export function limitParam(max: number) {
  return z
    .union([z.number(), z.string().regex(/^\d{1,6}$/, 'must be a whole number').transform(Number)])
    .pipe(z.number().int().min(1, 'must be at least 1').max(max, `must be at most ${max}`));
}
