import { z } from 'zod';

/**
 * Building blocks shared by every domain's route definitions, so the same kind of input is
 * validated the same way everywhere.
 */

/**
 * Characters a name people read must not hold: C0/C1 controls (they break rendering and logs), and
 * the bidirectional overrides and isolates that make "gpj.exe" read as "exe.jpg", or one person's
 * name read as another's.
 */
export const UNSAFE_NAME_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Server ids: short, URL-safe text. Anything else (a NUL byte above all, which PostgreSQL
 * refuses with an error) is a 400 before it reaches a query. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'Not a valid id');
