import type { Executor } from '../context.js';

// The gateway only reads other domains' tables (sessions, users, conversation members); it
// never writes them.

/** A revoked session's place in revocation order: where the next page starts. */
export interface RevokedKey {
  id: string;
  at: string;
}

/**
 * Sessions revoked after `sinceIso` (logout, password reset, deactivation, deletion: by any node
 * or an operator's command), in revocation order, at most `limit`: the page after `after`, or
 * the first.
 */
export async function sessionsRevokedSince(db: Executor, sinceIso: string, after: RevokedKey | null, limit: number): Promise<RevokedKey[]> {
  let q = db.selectFrom('sessions').select(['id', 'revoked_at']).where('revoked_at', 'is not', null).where('revoked_at', '>', sinceIso);
  if (after) q = q.where((eb) => eb.or([eb('revoked_at', '>', after.at), eb.and([eb('revoked_at', '=', after.at), eb('id', '>', after.id)])]));
  const rows = await q.orderBy('revoked_at').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, at: r.revoked_at! }));
}

export interface TypingTarget {
  /** The user is a current member of the conversation. */
  member: boolean;
  /** The other current members (empty unless `member`). */
  others: string[];
}

/**
 * Who should see `userId` typing in a conversation. Whether they may type there at all (the
 * chat's state and the rules of this moment) is the gateway's `mayType`, the send rules.
 */
export async function typingTarget(db: Executor, conversationId: string, userId: string): Promise<TypingTarget> {
  const members = await db
    .selectFrom('conversation_members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('left_at', 'is', null)
    .execute();
  if (!members.some((m) => m.user_id === userId)) return { member: false, others: [] };
  return { member: true, others: members.filter((m) => m.user_id !== userId).map((m) => m.user_id) };
}
