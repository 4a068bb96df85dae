import type { Executor } from '../context.js';
import type { MessageRow } from './store.js';

/** Kysely queries over messages, for history, edit and delete (the writer has its own). */

export async function getMessageRow(db: Executor, conversationId: string, messageId: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', '=', messageId).executeTakeFirst();
}

export interface HistoryQuery {
  after?: number;
  before?: number;
  limit: number;
}

/**
 * One page of history in ascending seq. With `after`, the oldest `limit` above it; otherwise the
 * newest `limit` below `before` (or of all). One more row than asked tells whether more exist.
 * Both walk the (conversation_id, seq) index, so a page costs the same in a huge chat.
 */
export async function historyPage(db: Executor, conversationId: string, q: HistoryQuery): Promise<{ rows: MessageRow[]; more: boolean }> {
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
  if (q.after !== undefined) query = query.where('seq', '>', q.after);
  if (q.before !== undefined) query = query.where('seq', '<', q.before);
  if (q.after !== undefined) {
    const rows = await query.orderBy('seq', 'asc').limit(q.limit + 1).execute();
    return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
  }
  const rows = await query.orderBy('seq', 'desc').limit(q.limit + 1).execute();
  return { rows: rows.slice(0, q.limit).reverse(), more: rows.length > q.limit };
}

export async function updateMessageBody(db: Executor, id: string, body: string, editedAt: string): Promise<void> {
  await db.updateTable('messages').set({ body, edited_at: editedAt }).where('id', '=', id).where('deleted_at', 'is', null).execute();
}

export async function tombstoneMessage(db: Executor, id: string, deletedAt: string): Promise<void> {
  await db.updateTable('messages').set({ body: '', deleted_at: deletedAt }).where('id', '=', id).where('deleted_at', 'is', null).execute();
}

