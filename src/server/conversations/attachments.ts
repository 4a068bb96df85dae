import type { FileInfo } from '../../shared/api/shapes.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext, Executor } from '../context.js';
import { checkAttachable, doAttachFiles, doDetachMessageFiles, filesForMessages, findUnattachable } from '../files/attach.js';
import { checkFilesPolicy, fileTooLarge } from '../files/service.js';
import type { ConversationRow } from './store.js';

/**
 * The seams where files attach to messages; the files domain (src/server/files/attach.ts) does
 * the work, and the send, history, edit and delete paths pick them up unchanged.
 */

/**
 * Before a send: may `sender` attach these uploads in this conversation? Throws if not. A retry
 * with the first send's `clientId` finds its files attached to that message and passes.
 */
export async function checkAttachments(ctx: AppContext, conversation: ConversationRow, sender: UserWithOrg, fileIds: readonly string[], clientId?: string): Promise<void> {
  if (fileIds.length === 0) return;
  const files = await checkAttachable(ctx.db, { conversationId: conversation.id, senderId: sender.id, fileIds, clientId });
  // The orgs' file policy may have changed since the upload.
  const { maxBytes } = await checkFilesPolicy(ctx, conversation, sender.org_id);
  if (files.some((f) => f.size > maxBytes)) throw fileTooLarge(maxBytes, false);
}

/**
 * Inside the message writer's transaction, before anything is stored: the files that can no longer
 * be attached (collected, or taken by another message since the send was checked).
 */
export function unattachableFiles(trx: Executor, fileIds: readonly string[]): Promise<Set<string>> {
  return findUnattachable(trx, fileIds);
}

/**
 * Inside the message writer's transaction, after the messages are inserted: bind each message's
 * files to it. Answers each message's files, for the acknowledgement and the event. A file lost
 * since `unattachableFiles` (a collector on another node) fails the whole transaction: a message
 * is never stored without a file it was sent with.
 */
export async function linkAttachments(
  trx: Executor,
  links: readonly { messageId: string; conversationId: string; senderId: string; fileIds: readonly string[] }[],
): Promise<Map<string, FileInfo[]>> {
  for (const l of links) {
    if ((await doAttachFiles(trx, l.messageId, l.fileIds)) !== l.fileIds.length) throw new Error('a file to attach was taken or collected while its message was stored');
  }
  return filesForMessages(trx, links.map((l) => l.messageId));
}

/** Inside a delete's transaction: the tombstone keeps no files. */
export async function detachAttachments(trx: Executor, messageId: string): Promise<void> {
  await doDetachMessageFiles(trx, messageId);
}

/** The files of many messages, for presenting history. */
export async function loadMessageFiles(db: Executor, messageIds: readonly string[]): Promise<Map<string, FileInfo[]>> {
  return filesForMessages(db, messageIds);
}
