import { MESSAGE_LIMITS, type ReadState } from '../../shared/api/messages.js';
import type { Message } from '../../shared/api/shapes.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext, Executor } from '../context.js';
import { nowIso } from '../db/util.js';
import { decideSend, type PersonRow } from '../external/rules.js';
import { AppError, badRequest, conflict, forbidden, notFound, policyRefused } from '../http/errors.js';
import { checkMembership } from './access.js';
import { checkAttachments, detachAttachments, loadMessageFiles } from './attachments.js';
import { withToldChange } from './change-line.js';
import { changesPage, getMessageRow, historyPage, tombstoneMessage, updateMessageBody } from './message-store.js';
import { presentMessage, presentMessages } from './present.js';
import { checkSendRate } from './rate-limit.js';
import { advanceReadCursor, currentMemberIds, loadDeletedSeqs, unreadCount, type ConversationRow, type MessageRow } from './store.js';
import { messageWriter, type SendResult } from './writer.js';

/** Messages: send (through the group-commit writer), history, edit, delete, read cursor. */

/**
 * The one check before anything is written into a conversation (send, edit): its state and the
 * cross-org rules, which live in `external/rules.ts`. Answers the limit a message request's sends
 * are stored under (see `SendDecision`).
 */
export async function checkCanSend(ctx: AppContext, conv: ConversationRow, sender: UserWithOrg, hasFiles = false, other?: PersonRow | null): Promise<{ requestLimit?: number }> {
  const d = await decideSend(ctx, conv, sender, { hasFiles, other });
  if (d.allowed) return d;
  if (d.reason) throw policyRefused(d.reason, d.message);
  throw conflict('conversation_not_live', d.message);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A body is UTF-8 text of at most 16 KiB, measured in bytes. Lone surrogates are replaced (they
 * cannot be stored as UTF-8), and a message says something unless it carries files.
 */
export function checkBody(body: string, hasFiles: boolean): string {
  const text = body.replace(LONE_SURROGATE, '\uFFFD');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MESSAGE_LIMITS.bodyMaxBytes) {
    throw new AppError(413, 'message_too_large', `A message is at most ${MESSAGE_LIMITS.bodyMaxBytes} bytes of text (16 KiB); this one is ${bytes}. Send it in parts or as a file.`);
  }
  if (!hasFiles && text.trim().length === 0) throw badRequest('A message needs some text or a file');
  return text;
}

/**
 * A send's place in line with the other sends of its socket: the writer numbers messages in the
 * order they reach it, so a send waits for those before it to get there first (`wait`) and lets
 * the next one go once it has (`done`).
 */
export interface SendTurn {
  wait(): Promise<void>;
  done(): void;
}

export interface SendInput {
  clientId: string;
  body: string;
  fileIds?: readonly string[];
}

/**
 * Sends a message into a conversation the sender is a current member of (`conv` comes from
 * `checkMembership` or `checkSendTarget`, which also gives the other member of a direct chat as
 * `other`). Answers once the message is committed; a clientId used before answers the first
 * message with `created: false`. `origin` is the socket of a send over the WebSocket (see
 * `frames.ts`), which is answered there and gets no `message.created`; `turn` keeps its sends in
 * the order the socket sent them.
 */
export async function doSendMessage(
  ctx: AppContext,
  sender: UserWithOrg,
  conv: ConversationRow,
  input: SendInput,
  other?: PersonRow | null,
  via: { origin?: string; turn?: SendTurn } = {},
): Promise<SendResult> {
  checkSendRate(ctx, sender.id);
  const fileIds = input.fileIds ?? [];
  const body = checkBody(input.body, fileIds.length > 0);
  const { requestLimit } = await checkCanSend(ctx, conv, sender, fileIds.length > 0, other);
  await checkAttachments(ctx, conv, sender, fileIds, input.clientId);
  if (via.turn) await via.turn.wait();
  const stored = messageWriter(ctx).submit({ conversationId: conv.id, senderId: sender.id, clientId: input.clientId, body, fileIds, origin: via.origin, requestLimit });
  via.turn?.done();
  return stored;
}

export async function listMessages(
  ctx: AppContext,
  conv: ConversationRow,
  q: { after?: number; before?: number; changedAfter?: number; limit?: number },
): Promise<{ items: Message[]; next?: string }> {
  const limit = q.limit ?? MESSAGE_LIMITS.historyLimitDefault;
  if (q.changedAfter !== undefined) return listChanges(ctx, conv, q.changedAfter, limit);
  const { rows, more, withFiles } = await historyPage(ctx.db, conv.id, { after: q.after, before: q.before, limit });
  const items = await presentMessages(ctx.db, rows, withFiles);
  if (!more || items.length === 0) return { items };
  // Paging forward continues after the last item, paging back before the first.
  return { items, next: String(q.after !== undefined ? items[items.length - 1]!.seq : items[0]!.seq) };
}

/** What a reconnecting client missed: messages edited or deleted after change `changedAfter`. */
async function listChanges(ctx: AppContext, conv: ConversationRow, changedAfter: number, limit: number): Promise<{ items: Message[]; next?: string }> {
  const { rows, more, withFiles } = await changesPage(ctx.db, conv.id, { changedAfter, limit });
  const items = await presentMessages(ctx.db, rows, withFiles);
  if (!more || items.length === 0) return { items };
  return { items, next: String(items[items.length - 1]!.changeSeq) };
}

async function loadOwnMessage(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, messageId: string): Promise<MessageRow> {
  const row = await getMessageRow(ctx.db, conv.id, messageId);
  if (!row) throw notFound('Message');
  if (row.system) throw conflict('system_note', 'A note about a change to the group cannot be edited or deleted');
  if (row.sender_id !== actor.id) throw forbidden('Only the author can change a message');
  return row;
}

/**
 * What a message change's event is made of, read inside the change's transaction: the message as
 * the change left it and the members to tell. The event is published once the transaction has
 * committed, in the order of the change numbers taken on this node (`change-line.ts`).
 */
async function changedMessage(trx: Executor, conversationId: string, messageId: string): Promise<{ row: MessageRow; members: string[] }> {
  const row = await getMessageRow(trx, conversationId, messageId);
  if (!row) throw new Error('a message changed in this transaction is not there');
  return { row, members: await currentMemberIds(trx, conversationId) };
}

export async function doEditMessage(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, messageId: string, newBody: string): Promise<Message> {
  const row = await loadOwnMessage(ctx, actor, conv, messageId);
  if (row.deleted_at) throw conflict('message_deleted', 'A deleted message cannot be edited');
  const files = (await loadMessageFiles(ctx.db, [row.id])).get(row.id) ?? [];
  const body = checkBody(newBody, files.length > 0);
  await checkCanSend(ctx, conv, actor);
  const edited = await withToldChange(
    ctx,
    conv.id,
    async (trx, changeSeq) => ((await updateMessageBody(trx, row.id, body, nowIso(), changeSeq)) ? changedMessage(trx, conv.id, row.id) : null),
    (e) => ctx.events.publish(e.members, { type: 'message.updated', conversationId: conv.id, message: presentMessage(e.row, files) }),
  );
  if (!edited) throw conflict('message_deleted', 'A deleted message cannot be edited');
  return presentMessage(edited.row, files);
}

/** Deletes your own message: a tombstone keeps its seq and deletedAt; body and files go. */
export async function doDeleteMessage(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, messageId: string): Promise<Message> {
  const row = await loadOwnMessage(ctx, actor, conv, messageId);
  if (row.deleted_at) return presentMessage(row);
  const deleted = await withToldChange(
    ctx,
    conv.id,
    async (trx, changeSeq) => {
      if (!(await tombstoneMessage(trx, row.id, nowIso(), changeSeq))) return null;
      await detachAttachments(trx, row.id);
      return changedMessage(trx, conv.id, row.id);
    },
    (d) => ctx.events.publish(d.members, { type: 'message.deleted', conversationId: conv.id, message: presentMessage(d.row) }),
  );
  if (deleted) return presentMessage(deleted.row);
  // A racing delete of the same message won: it has told the members.
  const tomb = await getMessageRow(ctx.db, conv.id, row.id);
  return presentMessage(tomb!);
}

/**
 * Moves the reader's cursor forward; a lower seq changes nothing and a seq past the last
 * message is clamped to it. Every member (the reader's other devices too) hears of a move.
 */
export async function doMarkRead(ctx: AppContext, reader: UserWithOrg, conv: ConversationRow, seq: number): Promise<ReadState> {
  const target = Math.min(seq, conv.last_seq);
  const { moved } = target > 0 ? await advanceReadCursor(ctx.db, conv.id, reader.id, target) : { moved: false };
  const now = await checkMembership(ctx.db, conv.id, reader.id);
  if (moved) {
    const members = await currentMemberIds(ctx.db, conv.id);
    ctx.events.publish(members, { type: 'read', conversationId: conv.id, userId: reader.id, seq: now.last_read_seq });
  }
  const deleted = await loadDeletedSeqs(ctx.db, [{ id: conv.id, after: now.last_read_seq, lastSeq: now.last_seq }]);
  return { conversationId: conv.id, lastReadSeq: now.last_read_seq, unreadCount: unreadCount(now.last_seq, now.last_read_seq, deleted.get(conv.id)) };
}
