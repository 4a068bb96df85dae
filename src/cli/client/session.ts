import { ApiError, ParleyClient } from '../../shared/client.js';
import { PARLEY_VERSION } from '../../server/version.js';
import { CliError } from '../util.js';
import { DamagedCredentialsError, readCredentials, type Credentials } from './credentials.js';
import { oneLine } from './format.js';

/** Exit codes of the user client, so scripts can tell failures apart. */
export const EXIT = { apiError: 1, notLoggedIn: 3, unreachable: 4 } as const;

export const CLIENT_NAME = `cli/${PARLEY_VERSION}`;

export function apiClient(server: string, token?: string): ParleyClient {
  return new ParleyClient({ baseUrl: normalizeServer(server), token, clientName: CLIENT_NAME, timeoutMs: requestTimeoutMs() });
}

const DEFAULT_TIMEOUT_S = 30;

/**
 * How long a request may go unanswered (`PARLEY_TIMEOUT`, in seconds; 30 by default): a server
 * that accepts connections and never answers is reported rather than waited on forever.
 */
export function requestTimeoutMs(): number {
  const raw = process.env.PARLEY_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_S * 1000;
  const seconds = Number(raw);
  if (!(seconds > 0 && seconds <= 3600)) throw new CliError(`PARLEY_TIMEOUT must be a number of seconds above 0 and at most 3600, not "${oneLine(raw, 40)}"`, 2);
  return Math.round(seconds * 1000);
}

/** `example.com:8080` → `http://example.com:8080`; trailing slashes dropped. */
export function normalizeServer(server: string): string {
  const s = server.trim().replace(/\/+$/, '');
  if (!s) throw new CliError('--server needs a URL, e.g. http://127.0.0.1:8080', 2);
  const withScheme = /^https?:\/\//i.test(s) ? s : `http://${s}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`Not a valid server URL: ${oneLine(server, 200)}`, 2);
  }
  // A name and password in the URL would be saved with the session and sent nowhere useful:
  // Parley signs in with --email and the password prompt.
  if (url.username || url.password) {
    throw new CliError('The server URL must not hold a name or password (user:password@): give the address alone, and sign in with --email', 2);
  }
  return withScheme;
}

/** The stored login, or a clear "log in first". */
export function requireLogin(): { creds: Credentials; api: ParleyClient } {
  let creds: Credentials | null;
  try {
    creds = readCredentials();
  } catch (err) {
    if (!(err instanceof DamagedCredentialsError)) throw err;
    // `parley login` writes the file anew; when the file cannot even be read, it must go first.
    const fix = err.detail === 'permission denied' || err.detail === 'it is a directory' ? `remove ${err.file}, then log in again` : 'log in again';
    throw new CliError(`${err.message}: ${fix} with \`parley login --server <url> --email <email>\``, EXIT.notLoggedIn);
  }
  if (!creds) throw new CliError('Not logged in: run `parley login --server <url> --email <email>` first', EXIT.notLoggedIn);
  return { creds, api: apiClient(creds.server, creds.token) };
}

/**
 * True when `err` is a connection failure rather than an answer from the server: fetch's
 * "fetch failed" TypeError, whose cause says what went wrong, or no answer in time. Other
 * TypeErrors (a header value fetch refuses, say) are not, and are not retried.
 */
export function isNetworkError(err: unknown): boolean {
  if (isTimeout(err)) return true;
  return err instanceof TypeError && !(err instanceof ApiError) && (err.message === 'fetch failed' || (err as { cause?: unknown }).cause !== undefined);
}

/** The request's time ran out (`AbortSignal.timeout`). */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'TimeoutError';
}

function networkCause(err: unknown): string {
  if (isTimeout(err)) return `no answer within ${requestTimeoutMs() / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/**
 * Runs an API call and turns what can go wrong into one clear line and an exit code:
 * the server's error code and message, an ended session, or an unreachable server.
 */
export async function callApi<T>(server: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explain(server, err);
  }
}

export function explain(server: string, err: unknown): Error {
  if (err instanceof CliError) return err;
  if (err instanceof ApiError) {
    if (err.status === 401 && err.code === 'unauthenticated') {
      return new CliError('Your session has ended: run `parley login` again', EXIT.notLoggedIn);
    }
    const reason = err.reason ? ` (${err.reason})` : '';
    // The server's words reach a terminal: one line, no control characters.
    return new CliError(oneLine(`${err.code}${reason}: ${err.message}`, 300), EXIT.apiError);
  }
  if (isNetworkError(err)) return new CliError(`Cannot reach the server at ${server} (${oneLine(networkCause(err))})`, EXIT.unreachable);
  // Anything else (a malformed stored session, an answer that is not Parley's) is said plainly,
  // without the values involved: a header error would quote the token.
  if (err instanceof TypeError) return new CliError(`The request could not be made (${err.name}); if the stored session is damaged, run \`parley login\` again`, EXIT.apiError);
  return err as Error;
}
