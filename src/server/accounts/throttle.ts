import type { Executor } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import { rateLimited } from '../http/errors.js';

/**
 * Sign-in throttling. Failures live in the database (not in memory) so the limits hold across
 * every node of a deployment.
 */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_ACCOUNT_FAILURES = 5;
export const MAX_IP_FAILURES = 30;

export const accountKey = (emailNorm: string) => `acct:${emailNorm}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/**
 * Seconds until `key` drops back under `limit` failures in the window, or 0 when it is under
 * already. With `n` failures in the window, the attempt is allowed again once the oldest
 * `n - limit + 1` of them have aged out.
 */
async function lockedFor(db: Executor, key: string, limit: number, now: number): Promise<number> {
  const rows = await db
    .selectFrom('login_failures')
    .select('at')
    .where('key', '=', key)
    .where('at', '>', nowIso(now - LOGIN_WINDOW_MS))
    .orderBy('at', 'asc')
    .execute();
  if (rows.length < limit) return 0;
  const freeing = rows[rows.length - limit]!;
  return Math.max(1, Math.ceil((Date.parse(freeing.at) + LOGIN_WINDOW_MS - now) / 1000));
}

/** Refuses the attempt (429 with Retry-After) while the account or the address is locked. */
export async function checkLoginThrottle(db: Executor, emailNorm: string, ip: string): Promise<void> {
  const now = Date.now();
  const wait = Math.max(await lockedFor(db, accountKey(emailNorm), MAX_ACCOUNT_FAILURES, now), await lockedFor(db, ipKey(ip), MAX_IP_FAILURES, now));
  if (wait > 0) throw rateLimited(wait, 'Too many failed sign-in attempts; try again later');
}

export async function doRecordLoginFailure(db: Executor, emailNorm: string, ip: string): Promise<void> {
  const now = nowIso();
  const keys = [accountKey(emailNorm), ipKey(ip)];
  await db
    .insertInto('login_failures')
    .values(keys.map((key) => ({ id: newId(), key, at: now })))
    .execute();
  // Rows past the window never count again; dropping them here keeps the table small.
  await db.deleteFrom('login_failures').where('key', 'in', keys).where('at', '<=', nowIso(Date.now() - LOGIN_WINDOW_MS)).execute();
}

export async function doClearAccountFailures(db: Executor, emailNorm: string): Promise<void> {
  await db.deleteFrom('login_failures').where('key', '=', accountKey(emailNorm)).execute();
}
