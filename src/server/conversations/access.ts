import type { Executor } from '../context.js';
import { notFound } from '../http/errors.js';

/**
 * Loads a conversation the user is a current member of. A conversation that does not exist and
 * one the user is not in answer the same 404, so its existence never leaks.
 */
export async function checkMembership(db: Executor, conversationId: string, userId: string) {
  const row = await db
    .selectFrom('conversations')
    .innerJoin('conversation_members as m', 'm.conversation_id', 'conversations.id')
    .selectAll('conversations')
    .select(['m.last_read_seq', 'm.joined_at'])
    .where('conversations.id', '=', conversationId)
    .where('m.user_id', '=', userId)
    .where('m.left_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound('Conversation');
  return row;
}
