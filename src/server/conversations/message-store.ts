import { sql } from 'kysely';
import type { Executor } from '../context.js';
import { precompiled } from '../db/precompiled.js';
import type { MessageRow } from './store.js';

/** Kysely queries over messages, for history, changes, edit and delete (the writer has its own). */

export async function getMessageRow(db: Executor, conversationId: string, messageId: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', '=', messageId).executeTakeFirst();
}

export interface HistoryQuery {
  after?: number;
  before?: number;
  limit: number;
}

type HistoryRow = MessageRow & { has_files: unknown };

// History is read on every chat open and reconnect, so its four shapes are precompiled
// (db/precompiled.ts). Each row also says whether the message has files, so a page without any
// (the usual case) costs no files query.
function historySelect(db: Executor, conversationId: string) {
  return db
    .selectFrom('messages')
    .selectAll('messages')
    .select((eb) => eb.exists(eb.selectFrom('message_files').select('message_files.message_id').whereRef('message_files.message_id', '=', 'messages.id')).as('has_files'))
    .where('messages.conversation_id', '=', conversationId);
}
const newest = precompiled(2, (db, c: string, limit: number) => historySelect(db, c).orderBy('messages.seq', 'desc').limit(limit));
const below = precompiled(3, (db, c: string, before: number, limit: number) =>
  historySelect(db, c).where('messages.seq', '<', before).orderBy('messages.seq', 'desc').limit(limit),
);
const above = precompiled(3, (db, c: string, after: number, limit: number) =>
  historySelect(db, c).where('messages.seq', '>', after).orderBy('messages.seq', 'asc').limit(limit),
);
const between = precompiled(4, (db, c: string, after: number, before: number, limit: number) =>
  historySelect(db, c).where('messages.seq', '>', after).where('messages.seq', '<', before).orderBy('messages.seq', 'asc').limit(limit),
);

export interface HistoryPage {
  rows: MessageRow[];
  more: boolean;
  /** The ids of the page's messages that have files. */
  withFiles: Set<string>;
}

function page(found: HistoryRow[], limit: number, newestFirst: boolean): HistoryPage {
  const kept = found.slice(0, limit);
  if (newestFirst) kept.reverse();
  const withFiles = new Set<string>();
  const rows = kept.map(({ has_files, ...row }) => {
    // SQLite answers 0/1, PostgreSQL a boolean.
    if (has_files === true || Number(has_files) === 1) withFiles.add(row.id);
    return row;
  });
  return { rows, more: found.length > limit, withFiles };
}

/**
 * One page of history in ascending seq. With `after`, the oldest `limit` above it; otherwise the
 * newest `limit` below `before` (or of all). One more row than asked tells whether more exist.
 * Both walk the (conversation_id, seq) index, so a page costs the same in a huge chat.
 */
export async function historyPage(db: Executor, conversationId: string, q: HistoryQuery): Promise<HistoryPage> {
  const n = q.limit + 1;
  if (q.after !== undefined) {
    const found = q.before !== undefined ? await between.execute(db, conversationId, q.after, q.before, n) : await above.execute(db, conversationId, q.after, n);
    return page(found, q.limit, false);
  }
  const found = q.before !== undefined ? await below.execute(db, conversationId, q.before, n) : await newest.execute(db, conversationId, n);
  return page(found, q.limit, true);
}

const changedAbove = precompiled(3, (db, c: string, changedAfter: number, limit: number) =>
  historySelect(db, c)
    // The literal `> 0` lets both planners use the partial index (only changed messages are in it).
    .where(sql<boolean>`messages.change_seq > 0`)
    .where('messages.change_seq', '>', changedAfter)
    .orderBy('messages.change_seq', 'asc')
    .limit(limit),
);

/**
 * One page of the messages edited or deleted after change `changedAfter`, in their current state
 * and ascending change_seq (a message changed twice appears once, at its latest change). Walks the
 * (conversation_id, change_seq) index.
 */
export async function changesPage(db: Executor, conversationId: string, q: { changedAfter: number; limit: number }): Promise<HistoryPage> {
  return page(await changedAbove.execute(db, conversationId, q.changedAfter, q.limit + 1), q.limit, false);
}

class NothingChanged extends Error {}

/**
 * Runs one change of a message (edit, delete) under the conversation's next change number, in
 * one transaction. The number is taken first, with an `UPDATE … RETURNING` that keeps the
 * conversation's row locked until commit, so changes of one conversation commit in the order of
 * their numbers: a client that has seen change N will never later find a change below N appear.
 * `apply` answers what the change's event is made of, read in the same transaction (so change N
 * is told with N's state, not a later one's), or null when it changes nothing (the message was
 * deleted meanwhile): then everything is rolled back, so the numbers have no gaps.
 */
export async function withChangeSeq<T>(db: Executor, conversationId: string, apply: (trx: Executor, changeSeq: number) => Promise<T | null>): Promise<T | null> {
  try {
    return await db.transaction().execute(async (trx) => {
      const bumped = await trx
        .updateTable('conversations')
        .set((eb) => ({ last_change_seq: eb('last_change_seq', '+', 1) }))
        .where('id', '=', conversationId)
        .returning('last_change_seq')
        .executeTakeFirst();
      const done = bumped ? await apply(trx, Number(bumped.last_change_seq)) : null;
      if (done === null) throw new NothingChanged();
      return done;
    });
  } catch (err) {
    if (err instanceof NothingChanged) return null;
    throw err;
  }
}

/** Answers whether the message was edited (false: it is deleted). */
export async function updateMessageBody(db: Executor, id: string, body: string, editedAt: string, changeSeq: number): Promise<boolean> {
  const r = await db
    .updateTable('messages')
    .set({ body, edited_at: editedAt, change_seq: changeSeq })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Answers whether the message was deleted now (false: it already was). */
export async function tombstoneMessage(db: Executor, id: string, deletedAt: string, changeSeq: number): Promise<boolean> {
  const r = await db
    .updateTable('messages')
    .set({ body: '', deleted_at: deletedAt, change_seq: changeSeq })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

