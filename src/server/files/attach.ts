import type { FileInfo } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { nowIso, isUniqueViolation } from '../db/util.js';
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
  input: { conversationId: string; senderId: string; fileIds: readonly string[] },
): Promise<FileInfo[]> {
  if (input.fileIds.length === 0) return [];
  if (new Set(input.fileIds).size !== input.fileIds.length) throw badRequest('The same file is listed twice');
  const rows = await db
    .selectFrom('files')
    .leftJoin('message_files as mf', 'mf.file_id', 'files.id')
    .selectAll('files')
    .select('mf.message_id')
    .where('files.id', 'in', [...input.fileIds])
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return input.fileIds.map((id) => {
    const row = byId.get(id);
    // One answer for "no such file" and "someone else's file", so ids cannot be probed.
    if (!row || row.deleted_at || row.uploader_id !== input.senderId || row.conversation_id !== input.conversationId) {
      throw badRequest(`File ${id} cannot be attached: upload it to this conversation first`, [{ path: 'body.fileIds', message: `unknown file ${id}` }]);
    }
    if (row.message_id) {
      throw badRequest(`File ${id} is already attached to another message`, [{ path: 'body.fileIds', message: `file ${id} already attached` }]);
    }
    return presentFile(row);
  });
}

/** Links checked files to a new message; call inside the message's transaction. */
export async function doAttachFiles(trx: Executor, messageId: string, fileIds: readonly string[]): Promise<void> {
  if (fileIds.length === 0) return;
  const at = nowIso();
  try {
    await trx
      .insertInto('message_files')
      .values(fileIds.map((fileId, position) => ({ message_id: messageId, file_id: fileId, position, created_at: at })))
      .execute();
  } catch (err) {
    // Two messages raced for the same file; the unique index let one win.
    if (isUniqueViolation(err)) throw badRequest('A file is already attached to another message');
    throw err;
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
