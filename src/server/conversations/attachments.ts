import type { FileInfo } from '../../shared/api/shapes.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext, Executor } from '../context.js';
import { badRequest } from '../http/errors.js';
import type { ConversationRow } from './store.js';

/**
 * The seams where files attach to messages. Files are not stored yet, so a message carries
 * none; the files domain fills these bodies in (each is called once per request or per batch)
 * and the send, history, edit and delete paths pick them up unchanged.
 */

/** Before a send: may `sender` attach these uploads in this conversation? Throws if not. */
export async function checkAttachments(_ctx: AppContext, _conversation: ConversationRow, _sender: UserWithOrg, fileIds: readonly string[]): Promise<void> {
  if (fileIds.length > 0) throw badRequest('Unknown file: upload it to this conversation first');
}

/**
 * Inside the message writer's transaction, after the messages are inserted: bind each message's
 * files to it. Answers each message's files, for the acknowledgement and the event.
 */
export async function linkAttachments(
  _trx: Executor,
  _links: readonly { messageId: string; conversationId: string; senderId: string; fileIds: readonly string[] }[],
): Promise<Map<string, FileInfo[]>> {
  return new Map();
}

/** Inside a delete's transaction: the tombstone keeps no files. */
export async function detachAttachments(_trx: Executor, _messageId: string): Promise<void> {}

/** The files of many messages, for presenting history. */
export async function loadMessageFiles(_db: Executor, _messageIds: readonly string[]): Promise<Map<string, FileInfo[]>> {
  return new Map();
}
