import type { FileInfo } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { sql } from 'kysely';
import { nowIso } from '../db/util.js';
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
 * Links checked files to a new message; call inside the message's transaction. Never fails a
 * batch: a file collected or taken by a racing message since the check is skipped, so callers
 * present what `filesForMessages` answers afterwards.
 */
export async function doAttachFiles(trx: Executor, messageId: string, fileIds: readonly string[]): Promise<void> {
  const at = nowIso();
  for (const [position, fileId] of fileIds.entries()) {
    await trx
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
      .execute();
  }
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
