import { z } from 'zod';

/**
 * Building blocks shared by every domain's route definitions, so the same kind of input is
 * validated the same way everywhere.
 */

/** Server ids: short, URL-safe text. Anything else (a NUL byte above all, which PostgreSQL
 * refuses with an error) is a 400 before it reaches a query. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'Not a valid id');
