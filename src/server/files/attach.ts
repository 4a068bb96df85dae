import type { FileInfo } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { sql } from 'kysely';
import { lockRows, nowIso } from '../db/util.js';
import { badRequest } from '../http/errors.js';
import { presentFile } from './store.js';

/**
 * The interface the messages domain uses to carry files: check before sending, attach inside
 * the send transaction, present with the message, detach when the message is deleted.
 */

// Keeps `IN (...)` lists under SQLite's parameter limit.
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Each file exists, was uploaded by the sender into THIS conversation, is not attached to a
 * message yet and is not deleted. Answers the files in the order given.
 */
export async function checkAttachable(
  db: Executor,
  input: { conversationId: string; senderId: string; fileIds: readonly string[]; clientId?: string },
): Promise<FileInfo[]> {
  if (input.fileIds.length === 0) return [];
  if (new Set(input.fileIds).size !== input.fileIds.length) throw badRequest('The same file is listed twice');
  const rows = await db
    .selectFrom('files')
    .leftJoin('message_files as mf', 'mf.file_id', 'files.id')
    .leftJoin('messages as m', 'm.id', 'mf.message_id')
    .selectAll('files')
    .select(['mf.message_id', 'm.client_id', 'm.sender_id'])
    .where('files.id', 'in', [...input.fileIds])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return input.fileIds.map((id) => {
    const row = byId.get(id);
    // One answer for "no such file" and "someone else's file", so ids cannot be probed.
    if (!row || row.deleted_at || row.uploader_id !== input.senderId || row.conversation_id !== input.conversationId) {
      throw badRequest(`File ${id} cannot be attached: upload it to this conversation first`, [{ path: 'body.fileIds', message: `unknown file ${id}` }]);
    }
    // A retried send (same clientId) finds its files on its own first message: not an error,
    // the writer answers that message.
    const retry = input.clientId !== undefined && row.client_id === input.clientId && row.sender_id === input.senderId;
    if (row.message_id && !retry) {
      throw badRequest(`File ${id} is already attached to another message`, [{ path: 'body.fileIds', message: `file ${id} already attached` }]);
    }
    return presentFile(row);
  });
}

/**
 * Of `fileIds`, those that cannot be attached any more: gone, deleted, or attached to a message.
 * Read inside the message writer's transaction, where the answer holds until it commits: on
 * PostgreSQL the free files are locked, so the collector (which locks before it deletes) waits,
 * and `doAttachFiles` still confirms every link.
 */
export async function findUnattachable(trx: Executor, fileIds: readonly string[]): Promise<Set<string>> {
  const free = new Set<string>();
  for (const ids of chunks([...new Set(fileIds)])) {
    let q = trx
      .selectFrom('files')
      .select('files.id')
      .where('files.id', 'in', ids)
      .where('files.deleted_at', 'is', null)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('message_files as mf').select('mf.file_id').whereRef('mf.file_id', '=', 'files.id'))));
    // In id order, as the collector locks: the two never wait on each other in a cycle.
    if (lockRows(trx)) q = q.orderBy('files.id').forUpdate();
    for (const r of await q.execute()) free.add(r.id);
  }
  return new Set(fileIds.filter((id) => !free.has(id)));
}

/**
 * Links checked files to a new message; call inside the message's transaction. Answers how many
 * were linked: fewer than asked means one was collected or taken since `findUnattachable`, and the
 * caller must not store the message without it.
 */
export async function doAttachFiles(trx: Executor, messageId: string, fileIds: readonly string[]): Promise<number> {
  const at = nowIso();
  let linked = 0;
  for (const [position, fileId] of fileIds.entries()) {
    const r = await trx
      .insertInto('message_files')
      .columns(['message_id', 'file_id', 'position', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('files')
          .select([sql<string>`cast(${messageId} as text)`.as('message_id'), 'files.id', sql<number>`cast(${position} as integer)`.as('position'), sql<string>`cast(${at} as text)`.as('created_at')])
          .where('files.id', '=', fileId)
          .where('files.deleted_at', 'is', null),
      )
      .onConflict((oc) => oc.column('file_id').doNothing())
      .executeTakeFirst();
    linked += Number(r.numInsertedOrUpdatedRows ?? 0);
  }
  return linked;
}

/** The files of each message (deleted messages carry none), in attachment order. */
export async function filesForMessages(db: Executor, messageIds: readonly string[]): Promise<Map<string, FileInfo[]>> {
  const out = new Map<string, FileInfo[]>();
  for (const ids of chunks([...new Set(messageIds)])) {
    const rows = await db
      .selectFrom('message_files as mf')
      .innerJoin('files', 'files.id', 'mf.file_id')
      .selectAll('files')
      .select(['mf.message_id', 'mf.position'])
      .where('mf.message_id', 'in', ids)
      .where('files.deleted_at', 'is', null)
      .orderBy('mf.message_id')
      .orderBy('mf.position')
      .execute();
    for (const r of rows) {
      const list = out.get(r.message_id) ?? [];
      list.push(presentFile(r));
      out.set(r.message_id, list);
    }
  }
  return out;
}

/**
 * A deleted message's files lose all access at once (marked deleted) and are unlinked; their
 * rows and blobs go at the next garbage collection. Call inside the deletion's transaction.
 */
export async function doDetachMessageFiles(trx: Executor, messageId: string): Promise<string[]> {
  const rows = await trx.selectFrom('message_files').select('file_id').where('message_id', '=', messageId).execute();
  const ids = rows.map((r) => r.file_id);
  if (ids.length === 0) return [];
  await trx.updateTable('files').set({ deleted_at: nowIso() }).where('id', 'in', ids).where('deleted_at', 'is', null).execute();
  await trx.deleteFrom('message_files').where('message_id', '=', messageId).execute();
  return ids;
}
