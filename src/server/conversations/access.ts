import type { AppContext, Executor } from '../context.js';
import { precompiled } from '../db/precompiled.js';
import { sameRow } from '../db/util.js';
import type { PersonRow } from '../external/rules.js';
import { notFound } from '../http/errors.js';
import { sendTargetCache } from './send-targets.js';

// Every request on a conversation starts here, so the queries are precompiled (db/precompiled.ts).
const membership = precompiled(2, (db, conversationId: string, userId: string) =>
  db
    .selectFrom('conversations')
    .innerJoin('conversation_members as m', 'm.conversation_id', 'conversations.id')
    .selectAll('conversations')
    .select(['m.last_read_seq', 'm.joined_at'])
    .where('conversations.id', '=', conversationId)
    .where('m.user_id', '=', userId)
    .where('m.left_at', 'is', null),
);

/**
 * Loads a conversation the user is a current member of. A conversation that does not exist and
 * one the user is not in answer the same 404, so its existence never leaks.
 */
export async function checkMembership(db: Executor, conversationId: string, userId: string) {
  const row = await membership.executeTakeFirst(db, conversationId, userId);
  if (!row) throw notFound('Conversation');
  return row;
}

// The membership row plus, for a direct chat, the other member (any, as `otherDirectMember` of
// the rules reads it): everything the send check needs, in one query.
const sendTarget = precompiled(3, (db, conversationId: string, userId: string, otherThan: string) =>
  db
    .selectFrom('conversations')
    .innerJoin('conversation_members as m', 'm.conversation_id', 'conversations.id')
    .leftJoin('conversation_members as o', (j) =>
      j.onRef('o.conversation_id', '=', 'conversations.id').on('conversations.kind', '=', 'direct').on('o.user_id', '<>', otherThan),
    )
    .leftJoin('users as u', 'u.id', 'o.user_id')
    .selectAll('conversations')
    .select(['m.last_read_seq', 'm.joined_at', 'u.id as other_id', 'u.org_id as other_org_id', 'u.email_norm as other_email_norm', 'u.status as other_status'])
    .where('conversations.id', '=', conversationId)
    .where('m.user_id', '=', userId)
    .where('m.left_at', 'is', null),
);

async function loadSendTarget(db: Executor, conversationId: string, userId: string) {
  const rows = await sendTarget.execute(db, conversationId, userId, userId);
  const first = rows[0];
  if (!first) return null;
  const { other_id, other_org_id, other_email_norm, other_status, ...conv } = first;
  const other: PersonRow | null =
    other_id !== null && other_org_id !== null && other_email_norm !== null && other_status !== null
      ? { id: other_id, org_id: other_org_id, email_norm: other_email_norm, status: other_status }
      : null;
  return { conv, other };
}

export type SendTarget = NonNullable<Awaited<ReturnType<typeof loadSendTarget>>>;

// Counters of the chat and of the sender's membership: they move with every message, and sending
// never reads them (see `checkSendTarget`).
const COUNTERS: ReadonlySet<string> = new Set(['last_seq', 'last_activity_at', 'last_change_seq', 'last_read_seq']);

/** The same target but for its counters: what sending decides on has not changed. */
export function sameSendTarget(kept: SendTarget, loaded: SendTarget): boolean {
  if (!sameRow(kept.conv, loaded.conv, COUNTERS)) return false;
  const [x, y] = [kept.other, loaded.other];
  return x === null || y === null ? x === y : sameRow(x, y);
}

/**
 * `checkMembership` for sending: also answers the other person of a direct chat (null when there
 * is none, as in a pending chat), so the cross-org rules need not load them again. Answers come
 * from the node's send-target cache when fresh (see send-targets.ts for why that is safe). The
 * row's counters (last_seq and the like) may then be old: a reload that finds the target
 * unchanged but for its counters keeps the first answer. Sending never reads them.
 */
export async function checkSendTarget(ctx: AppContext, conversationId: string, userId: string): Promise<Readonly<SendTarget>> {
  const cache = sendTargetCache<SendTarget>(ctx);
  const cached = cache.get(conversationId, userId);
  if (cached) return cached;
  const loaded = await loadSendTarget(ctx.db, conversationId, userId);
  if (!loaded) throw notFound('Conversation');
  return cache.set(conversationId, userId, loaded, loaded.other?.id ?? null, Date.now(), sameSendTarget);
}
