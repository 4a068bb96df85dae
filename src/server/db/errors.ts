import { AppError } from '../http/errors.js';
import { QUERY_DEADLINE_CODE } from './deadline.js';

/**
 * Errors that say the database cannot be reached or is going away, rather than that a query was
 * wrong: a restart, a refused or broken connection, a pool that could not connect in time, a
 * SQLite database held by another writer past the busy timeout. They are the deployment's, not
 * the request's: answered 503 with Retry-After, so clients try again, and never 500.
 */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'SQLITE_BUSY', 'SQLITE_LOCKED', QUERY_DEADLINE_CODE]);
const PG_MESSAGES = [/^Connection terminated/, /^timeout exceeded when trying to connect/, /^Client has encountered a connection error/, /^Cannot use a pool after calling end/];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (NODE_CODES.has(code)) return true;
    // SQLSTATE class 08: connection exception; 57P01–57P03: shutting down, crashed, starting up;
    // 53300: too many connections.
    if (/^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
  }
  return typeof message === 'string' && PG_MESSAGES.some((re) => re.test(message));
}

export function databaseUnavailable(): AppError {
  return new AppError(503, 'service_unavailable', 'The database is not answering; please try again in a moment', {}, { 'retry-after': '2' });
}
