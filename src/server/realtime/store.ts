import type { Executor } from '../context.js';
import { nowIso } from '../db/util.js';

// The gateway only reads other domains' tables (sessions, users, conversation members); it
// never writes them.

const CHUNK = 500;

/**
 * Sessions revoked after `sinceIso` (logout, password reset, deactivation, deletion: by any node
 * or an operator's command), newest last, at most `limit`.
 */
export async function sessionsRevokedSince(db: Executor, sinceIso: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('sessions')
    .select('id')
    .where('revoked_at', 'is not', null)
    .where('revoked_at', '>', sinceIso)
    .orderBy('revoked_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Of `sessionIds`, the ones that still authenticate: not revoked, not expired, and the user is
 * active. One query per 500 sessions, so a heartbeat round over 15,000 sockets stays cheap.
 */
export async function liveSessionIds(db: Executor, sessionIds: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  const now = nowIso();
  for (let i = 0; i < sessionIds.length; i += CHUNK) {
    const chunk = sessionIds.slice(i, i + CHUNK);
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

export interface TypingTarget {
  /** The user is a current member of the conversation. */
  member: boolean;
  /** The other current members (empty unless `member`). */
  others: string[];
  /** Whether the conversation is in a state where people write (not declined or blocked). */
  writable: boolean;
}

/** Who should see `userId` typing in a conversation, and whether they may type there at all. */
export async function typingTarget(db: Executor, conversationId: string, userId: string): Promise<TypingTarget> {
  const conv = await db.selectFrom('conversations').select('state').where('id', '=', conversationId).executeTakeFirst();
  if (!conv) return { member: false, others: [], writable: false };
  const members = await db
    .selectFrom('conversation_members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('left_at', 'is', null)
    .execute();
  if (!members.some((m) => m.user_id === userId)) return { member: false, others: [], writable: false };
  return {
    member: true,
    others: members.filter((m) => m.user_id !== userId).map((m) => m.user_id),
    writable: conv.state !== 'declined' && conv.state !== 'blocked',
  };
}
