import { sql } from 'kysely';
import type { Executor } from '../context.js';
import { memberConversationsQuery } from '../conversations/store.js';

/**
 * The activity feed's sources, each read newest first from a keyset position. Entries of all
 * sources are ordered by (at, rank, id) descending; `rank` only breaks ties of equal `at`
 * between sources, so paging is exact whatever the clock resolution.
 */

export interface FeedPosition {
  at: string;
  rank: number;
  id: string;
}

export const RANK = { chat: 2, invitation: 1, request: 0 } as const;

export async function chatRows(db: Executor, userId: string, pos: FeedPosition | null, limit: number) {
  let q = memberConversationsQuery(db, userId).where('c.kind', '=', 'direct');
  if (pos) {
    const r = RANK.chat;
    q = q.where((eb) =>
      eb.or([
        eb('c.last_activity_at', '<', pos.at),
        ...(r < pos.rank ? [eb('c.last_activity_at', '=', pos.at)] : []),
        ...(r === pos.rank ? [eb.and([eb('c.last_activity_at', '=', pos.at), eb('c.id', '<', pos.id)])] : []),
      ]),
    );
  }
  return q.orderBy('c.last_activity_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
}

export async function invitationRows(db: Executor, userId: string, pos: FeedPosition | null, limit: number) {
  const at = sql<string>`coalesce(i.accepted_at, i.created_at)`;
  let q = db
    .selectFrom('chat_invitations as i')
    .selectAll('i')
    .select(at.as('at'))
    .where('i.inviter_id', '=', userId);
  if (pos) {
    const r = RANK.invitation;
    q = q.where((eb) =>
      eb.or([
        eb(at, '<', pos.at),
        ...(r < pos.rank ? [eb(at, '=', pos.at)] : []),
        ...(r === pos.rank ? [eb.and([eb(at, '=', pos.at), eb('i.id', '<', pos.id)])] : []),
      ]),
    );
  }
  return q.orderBy(at, 'desc').orderBy('i.id', 'desc').limit(limit).execute();
}

export async function requestRows(db: Executor, userId: string, pos: FeedPosition | null, limit: number) {
  let q = db.selectFrom('message_requests as r').selectAll('r').where('r.recipient_id', '=', userId);
  if (pos) {
    const rank = RANK.request;
    q = q.where((eb) =>
      eb.or([
        eb('r.created_at', '<', pos.at),
        ...(rank < pos.rank ? [eb('r.created_at', '=', pos.at)] : []),
        ...(rank === pos.rank ? [eb.and([eb('r.created_at', '=', pos.at), eb('r.conversation_id', '<', pos.id)])] : []),
      ]),
    );
  }
  return q.orderBy('r.created_at', 'desc').orderBy('r.conversation_id', 'desc').limit(limit).execute();
}

export interface PersonInfo {
  id: string;
  email: string;
  display_name: string;
  org_id: string;
  org_name: string;
  status: string;
}

export async function peopleByIds(db: Executor, ids: readonly string[]): Promise<Map<string, PersonInfo>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.email', 'u.display_name', 'u.org_id', 'o.name as org_name', 'u.status'])
    .where('u.id', 'in', unique)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The other current member of each direct chat, for a viewer. */
export async function otherMembers(db: Executor, conversationIds: readonly string[], viewerId: string): Promise<Map<string, string>> {
  if (conversationIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('conversation_members')
    .select(['conversation_id', 'user_id'])
    .where('conversation_id', 'in', [...conversationIds])
    .where('user_id', '<>', viewerId)
    .execute();
  return new Map(rows.map((r) => [r.conversation_id, r.user_id]));
}
