import type { Executor } from '../context.js';
import { newId, nowIso, sameRow } from '../db/util.js';
import { outsideWrites, WATCHED_CACHE_TTL_MS } from '../db/outside-writes.js';
import { precompiled } from '../db/precompiled.js';
import type { UserWithOrg } from './store.js';
import { hashSecret, newSecret } from './tokens.js';

export const SESSION_COOKIE = 'parley_session';
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
// Refreshing last_seen_at on every request would turn every read into a write.
const TOUCH_EVERY_MS = 5 * 60 * 1000;

export interface AuthInfo {
  user: UserWithOrg;
  sessionId: string;
}

export async function doCreateSession(db: Executor, userId: string, meta: { userAgent?: string | null; ip?: string | null } = {}): Promise<{ token: string; sessionId: string }> {
  const token = newSecret();
  const now = Date.now();
  const sessionId = newId();
  await db
    .insertInto('sessions')
    .values({
      id: sessionId,
      user_id: userId,
      token_hash: hashSecret(token),
      created_at: nowIso(now),
      last_seen_at: nowIso(now),
      expires_at: nowIso(now + SESSION_TTL_MS),
      revoked_at: null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      ip: meta.ip ?? null,
    })
    .execute();
  return { token, sessionId };
}

/** A session with its user and the user's org name, in one query (precompiled: every request runs it). */
const sessionByTokenHash = precompiled(1, (db, tokenHash: string) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('users', 'users.id', 's.user_id')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .selectAll('users')
    .select(['orgs.name as org_name', 's.id as s_id', 's.expires_at as s_expires_at', 's.revoked_at as s_revoked_at', 's.last_seen_at as s_last_seen_at'])
    .where('s.token_hash', '=', tokenHash),
);

/**
 * Authenticated sessions of this node, by token. Every request authenticates, and two queries per
 * request were a large share of a message send; a chat client sends many requests a second, so
 * most find their session here.
 *
 * The bound: on this node, logout, revocation (deactivation, deletion, password reset) and changes
 * to a user's status or role take effect at once (`forgetSession`, `forgetUserSessions`). Expiry
 * is checked on every hit. What changes elsewhere (an org's name, changed only by an operator's
 * command, is one):
 * - SQLite (one node): an operator's command in another process is seen within
 *   `OUTSIDE_CHECK_MS` (db/outside-writes.ts); entries otherwise live `WATCHED_CACHE_TTL_MS`.
 * - PostgreSQL: another node, or an operator's command, is seen at most SESSION_CACHE_TTL_MS later.
 * The WebSocket gateway's periodic re-check reads the database, not this cache.
 */
export const SESSION_CACHE_TTL_MS = 3000;
const SESSION_CACHE_MAX = 50_000;
/**
 * After a user changes, their sessions are not cached for this long: a read that started before
 * the change committed (another connection, PostgreSQL) must not put the old row back.
 */
const UNSETTLED_MS = 1000;

interface CachedSession {
  auth: AuthInfo;
  /** The database's outside-write version it was loaded under (0 where none is watched). */
  version: number;
  /** The session's expiry, in ms (a hit compares numbers, not ISO text made per request). */
  expiresAt: number;
  cachedAt: number;
}

const cache = new Map<string, CachedSession>();
const unsettled = new Map<string, number>();

function isUnsettled(userId: string, now: number): boolean {
  const until = unsettled.get(userId);
  if (until === undefined) return false;
  if (until > now) return true;
  unsettled.delete(userId);
  return false;
}

/** Drops a session from this node's cache (logout, revocation). */
export function forgetSession(sessionId: string): void {
  forgetSessions(new Set([sessionId]));
}

/** Drops many sessions from this node's cache in one pass over it. */
export function forgetSessions(sessionIds: ReadonlySet<string>): void {
  if (sessionIds.size === 0) return;
  for (const [k, v] of cache) if (sessionIds.has(v.auth.sessionId)) cache.delete(k);
}

/**
 * Drops every cached session of a user and keeps them out of the cache for a moment. Call it
 * whenever something `AuthInfo.user` carries changes (status, role, org, name, password).
 */
export function forgetUserSessions(userId: string): void {
  unsettled.set(userId, Date.now() + UNSETTLED_MS);
  for (const [k, v] of cache) if (v.auth.user.id === userId) cache.delete(k);
}

/**
 * The signed-in user for a session token, or null when the token is unknown, expired or
 * revoked, or the user can no longer sign in (deactivated, deleted).
 */
export async function findSession(db: Executor, token: string): Promise<AuthInfo | null> {
  if (!token || token.length > 200) return null;
  const now = Date.now();
  const watch = outsideWrites(db);
  const version = watch?.version(now) ?? 0;
  const ttl = watch ? WATCHED_CACHE_TTL_MS : SESSION_CACHE_TTL_MS;
  // Keyed by the token itself (held only in this process's memory, like the request that carried
  // it): a hit then costs no SHA-256.
  const hit = cache.get(token);
  if (hit) {
    if (now - hit.cachedAt < ttl && hit.version === version && hit.expiresAt > now && !isUnsettled(hit.auth.user.id, now)) return hit.auth;
    cache.delete(token);
  }
  const row = await sessionByTokenHash.executeTakeFirst(db, hashSecret(token));
  if (!row || row.s_revoked_at || row.s_expires_at <= nowIso(now)) return null;
  const { s_id: sessionId, s_expires_at: expiresAt, s_revoked_at: _revoked, s_last_seen_at: lastSeenAt, ...user } = row;
  if (user.status !== 'active') return null;
  if (now - Date.parse(lastSeenAt) > TOUCH_EVERY_MS) {
    await db.updateTable('sessions').set({ last_seen_at: nowIso() }).where('id', '=', sessionId).execute();
  }
  if (isUnsettled(user.id, Date.now())) return { user, sessionId };
  if (cache.size >= SESSION_CACHE_MAX) pruneCache(now, ttl);
  // Unchanged since it was cached: the cached copy is kept and this one dies young (see
  // `SendTargetCache.set` for why a reload must not replace what the cache holds).
  if (hit && hit.auth.sessionId === sessionId && sameRow(hit.auth.user, user)) {
    hit.cachedAt = now;
    hit.version = version;
    hit.expiresAt = Date.parse(expiresAt);
    cache.set(token, hit);
    return hit.auth;
  }
  const auth: AuthInfo = { user, sessionId };
  cache.set(token, { auth, version, expiresAt: Date.parse(expiresAt), cachedAt: now });
  return auth;
}

function pruneCache(now: number, ttl: number): void {
  for (const [k, v] of cache) if (now - v.cachedAt >= ttl) cache.delete(k);
  // Still full of fresh entries: drop the oldest half (Map keeps insertion order).
  if (cache.size >= SESSION_CACHE_MAX) {
    let n = cache.size / 2;
    for (const k of cache.keys()) {
      if (n-- <= 0) break;
      cache.delete(k);
    }
  }
}

const LIVE_CHUNK = 500;

/**
 * Of `sessionIds`, the ones that still authenticate: not revoked, not expired, and the user is
 * active. One query per 500 sessions, so a heartbeat round over 15,000 sockets stays cheap.
 * Read from the database, not the cache: for work that outlasts its request's start (an upload)
 * and for the gateway's rounds.
 */
export async function liveSessionIds(db: Executor, sessionIds: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  const now = nowIso();
  for (let i = 0; i < sessionIds.length; i += LIVE_CHUNK) {
    const chunk = sessionIds.slice(i, i + LIVE_CHUNK);
    const rows = await db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select('sessions.id')
      .where('sessions.id', 'in', chunk)
      .where('sessions.revoked_at', 'is', null)
      .where('sessions.expires_at', '>', now)
      .where('users.status', '=', 'active')
      .execute();
    for (const r of rows) live.add(r.id);
  }
  return live;
}

export async function doRevokeSession(db: Executor, sessionId: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: nowIso() }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
  forgetSession(sessionId);
}

/** Ends every session of a user (deactivation, deletion, password reset), except `keep`. */
export async function doRevokeUserSessions(db: Executor, userId: string, keep?: string): Promise<void> {
  forgetUserSessions(userId);
  let q = db.updateTable('sessions').set({ revoked_at: nowIso() }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep) q = q.where('id', '<>', keep);
  await q.execute();
  forgetUserSessions(userId);
}
