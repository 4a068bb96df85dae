import type { AppContext } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import type { TestUser } from './factories.js';

/**
 * Test-only: a conversation with the given members written straight into the tables, for
 * suites of other domains (files) that need a chat in a precise state (e.g. a message request)
 * without going through the conversations API.
 */
export async function insertTestConversation(
  ctx: AppContext,
  input: { members: TestUser[]; kind?: 'direct' | 'group'; state?: string; title?: string },
): Promise<string> {
  const id = newId();
  const at = nowIso();
  const kind = input.kind ?? (input.members.length === 2 ? 'direct' : 'group');
  const ids = input.members.map((m) => m.user.id);
  await ctx.db
    .insertInto('conversations')
    .values({
      id,
      kind,
      org_id: kind === 'group' ? input.members[0]!.user.org_id : null,
      title: input.title ?? null,
      state: input.state ?? 'live',
      direct_key: kind === 'direct' ? [...ids].sort().join(':') + `:${id}` : null,
      pending_email: null,
      created_by: ids[0] ?? null,
      created_at: at,
      last_seq: 0,
      last_activity_at: at,
    })
    .execute();
  if (ids.length > 0) {
    await ctx.db
      .insertInto('conversation_members')
      .values(ids.map((userId) => ({ conversation_id: id, user_id: userId, joined_at: at, left_at: null, last_read_seq: 0 })))
      .execute();
  }
  return id;
}

/** Test-only: a message row (the messages API is the real way to send). */
export async function insertTestMessage(ctx: AppContext, conversationId: string, senderId: string, body = 'hi'): Promise<string> {
  const id = newId();
  const conv = await ctx.db.selectFrom('conversations').select('last_seq').where('id', '=', conversationId).executeTakeFirstOrThrow();
  const seq = conv.last_seq + 1;
  await ctx.db.updateTable('conversations').set({ last_seq: seq }).where('id', '=', conversationId).execute();
  await ctx.db
    .insertInto('messages')
    .values({ id, conversation_id: conversationId, seq, sender_id: senderId, client_id: newId(), body, created_at: nowIso(), edited_at: null, deleted_at: null })
    .execute();
  return id;
}
