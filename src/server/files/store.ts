import type { FileInfo } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import type { FilesTable } from '../db/schema.js';

export type FileRow = FilesTable;

export function presentFile(row: FileRow): FileInfo {
  return {
    id: row.id,
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    conversationId: row.conversation_id,
    uploaderId: row.uploader_id,
    createdAt: row.created_at,
  };
}

export async function insertFile(db: Executor, row: FileRow): Promise<void> {
  await db.insertInto('files').values(row).execute();
}

/** A file that still exists (its message, if any, was not deleted). */
export async function getLiveFile(db: Executor, id: string): Promise<FileRow | undefined> {
  return db.selectFrom('files').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
}

/** The files attached to messages of a conversation that are not deleted, newest first. */
export async function listSharedFiles(db: Executor, conversationId: string, opts: { before?: string; limit: number }): Promise<FileRow[]> {
  let q = db
    .selectFrom('files')
    .innerJoin('message_files as mf', 'mf.file_id', 'files.id')
    .innerJoin('messages as m', 'm.id', 'mf.message_id')
    .selectAll('files')
    .where('files.conversation_id', '=', conversationId)
    .where('files.deleted_at', 'is', null)
    .where('m.deleted_at', 'is', null);
  if (opts.before) q = q.where('files.id', '<', opts.before);
  return q.orderBy('files.id', 'desc').limit(opts.limit).execute();
}

/** The org ids of a conversation's current members. */
export async function memberOrgIds(db: Executor, conversationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('conversation_members as cm')
    .innerJoin('users as u', 'u.id', 'cm.user_id')
    .select('u.org_id')
    .distinct()
    .where('cm.conversation_id', '=', conversationId)
    .where('cm.left_at', 'is', null)
    .execute();
  return rows.map((r) => r.org_id);
}
