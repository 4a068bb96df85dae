import type { AppContext, Executor } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import { rateLimited } from '../http/errors.js';
import { inKeyLock } from '../db/key-lock.js';

/**
 * Sign-in throttling. Failures live in the database (not in memory) so the limits hold across
 * every node of a deployment.
 *
 * An attempt counts as a failure from the moment it is let in, before its password is checked:
 * the check takes tens of milliseconds, and attempts that were only recorded after it would all
 * be let in by the same count. Until it is settled its rows carry the pending mark, so that a
 * success running meanwhile does not forgive it; a wrong password settles it into a failure, and
 * the right one forgives it. An attempt never settled (the process died) stays counted.
 */
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
export const MAX_ACCOUNT_FAILURES = 5;
export const MAX_IP_FAILURES = 30;

export const accountKey = (emailNorm: string) => `acct:${emailNorm}`;
export const ipKey = (ip: string) => `ip:${ip}`;
const PENDING = 'pending:';
const pendingKey = (key: string) => `${PENDING}${key}`;
/** Retry-After for an attempt refused while others are still being checked (see `lockedFor`). */
export const PENDING_RETRY_SECONDS = 2;

/** An attempt let in: its two rows (account, address) and what its success may forgive. */
export interface LoginAttempt {
  rows: { id: string; key: string }[];
  /** The account's failures already settled when this attempt was let in. */
  earlierFailures: string[];
}

interface CountedRow {
  id: string;
  key: string;
  at: string;
}

/** The failures and pending attempts of `key` in the window, oldest first. */
function countedRows(db: Executor, key: string, now: number): Promise<CountedRow[]> {
  return db
    .selectFrom('login_failures')
    .select(['id', 'key', 'at'])
    .where('key', 'in', [key, pendingKey(key)])
    .where('at', '>', nowIso(now - LOGIN_WINDOW_MS))
    .orderBy('at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

/**
 * Seconds until `rows` drop back under `limit` in the window, or 0 when they are under already.
 * With `n` rows in the window, the attempt is allowed again once the oldest `n - limit + 1` of
 * them have aged out.
 */
function lockedFor(rows: readonly CountedRow[], limit: number, now: number): number {
  if (rows.length < limit) return 0;
  const settled = rows.filter((r) => !r.key.startsWith(PENDING));
  // Locked only by attempts still being checked: they settle within a moment (a right password
  // frees its place), so the client is told to try again shortly, not in 15 minutes.
  if (settled.length < limit) return PENDING_RETRY_SECONDS;
  const freeing = settled[settled.length - limit]!;
  return Math.max(1, Math.ceil((Date.parse(freeing.at) + LOGIN_WINDOW_MS - now) / 1000));
}

/**
 * Refuses the attempt (429 with Retry-After) while the account or the address is locked, and
 * otherwise counts it, in one transaction locked on both keys so no other attempt for either
 * can read the count in between.
 */
export async function doBeginLoginAttempt(ctx: AppContext, emailNorm: string, ip: string): Promise<LoginAttempt> {
  const keys = [accountKey(emailNorm), ipKey(ip)];
  return inKeyLock(ctx, keys, async (trx) => {
    const now = Date.now();
    // Rows past the window never count again; dropping them here keeps the table small.
    await trx
      .deleteFrom('login_failures')
      .where('key', 'in', [...keys, ...keys.map(pendingKey)])
      .where('at', '<=', nowIso(now - LOGIN_WINDOW_MS))
      .execute();
    const account = await countedRows(trx, keys[0]!, now);
    const address = await countedRows(trx, keys[1]!, now);
    const wait = Math.max(lockedFor(account, MAX_ACCOUNT_FAILURES, now), lockedFor(address, MAX_IP_FAILURES, now));
    if (wait > 0) throw rateLimited(wait, 'Too many failed sign-in attempts; try again later');

    const rows = keys.map((key) => ({ id: newId(), key }));
    await trx
      .insertInto('login_failures')
      .values(rows.map((r) => ({ id: r.id, key: pendingKey(r.key), at: nowIso(now) })))
      .execute();
    return { rows, earlierFailures: account.filter((r) => r.key === keys[0]).map((r) => r.id) };
  });
}

/** The password was wrong: the attempt stays counted, as a failure of the account and the address. */
export async function doRecordLoginFailure(db: Executor, attempt: LoginAttempt): Promise<void> {
  for (const r of attempt.rows) await db.updateTable('login_failures').set({ key: r.key }).where('id', '=', r.id).execute();
}

/**
 * The attempt was not a wrong password: it stops counting. After a sign-in, so do the account's
 * failures before it, but not those of attempts still being checked when it was let in: they
 * ran alongside it, and forgiving them would let a burst of guesses past the limit.
 */
export async function doForgiveLoginAttempt(db: Executor, attempt: LoginAttempt, opts: { withEarlierFailures?: boolean } = {}): Promise<void> {
  const ids = [...attempt.rows.map((r) => r.id), ...(opts.withEarlierFailures ? attempt.earlierFailures : [])];
  await db.deleteFrom('login_failures').where('id', 'in', ids).execute();
}
