import type { Executor } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import { getUserWithOrg, type UserWithOrg } from './store.js';
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

/**
 * The signed-in user for a session token, or null when the token is unknown, expired or
 * revoked, or the user can no longer sign in (deactivated, deleted).
 */
export async function findSession(db: Executor, token: string): Promise<AuthInfo | null> {
  if (!token || token.length > 200) return null;
  const session = await db.selectFrom('sessions').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirst();
  if (!session || session.revoked_at || session.expires_at <= nowIso()) return null;
  const user = await getUserWithOrg(db, session.user_id);
  if (!user || user.status !== 'active') return null;
  if (Date.now() - Date.parse(session.last_seen_at) > TOUCH_EVERY_MS) {
    await db.updateTable('sessions').set({ last_seen_at: nowIso() }).where('id', '=', session.id).execute();
  }
  return { user, sessionId: session.id };
}

export async function doRevokeSession(db: Executor, sessionId: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: nowIso() }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
}

/** Ends every session of a user (deactivation, deletion, password reset), except `keep`. */
export async function doRevokeUserSessions(db: Executor, userId: string, keep?: string): Promise<void> {
  let q = db.updateTable('sessions').set({ revoked_at: nowIso() }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep) q = q.where('id', '<>', keep);
  await q.execute();
}
