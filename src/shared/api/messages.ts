import { z } from 'zod';
import { defineRoute } from './define.js';
import { Id, limitParam } from './common.js';
import { PlainText } from './conversations.js';
import { Message, page } from './shapes.js';

export const MESSAGE_LIMITS = {
  /** A body is at most this many bytes of UTF-8 (design.md: 16 KiB). */
  bodyMaxBytes: 16 * 1024,
  clientIdMax: 64,
  filesMax: 20,
  historyLimitMax: 100,
  historyLimitDefault: 50,
} as const;

/** The largest seq a database column holds (a 32-bit integer on PostgreSQL). */
export const SEQ_MAX = 2_147_483_647;

/**
 * A `seq` cursor in a query string: a non-negative whole number (or its decimal text). One past
 * the largest seq there can be means the same as that seq (nothing above it, all below it), so it
 * is answered as such rather than refused or compared with a column it does not fit.
 */
export const SeqParam = z
  .union([z.number(), z.string().regex(/^\d{1,15}$/, 'must be a non-negative whole number').transform(Number)])
  .pipe(z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER))
  .transform((n) => Math.min(n, SEQ_MAX));

/** Bodies are checked for size by the server (413 `message_too_large`), not by the schema. */
const Body = PlainText;

const ConversationParams = z.object({ id: Id });
const MessageParams = z.object({ id: Id, messageId: Id });

export const list = defineRoute({
  method: 'GET',
  path: '/api/v1/conversations/:id/messages',
  summary:
    'History by seq, ascending. after=N: the oldest `limit` above N (next: pass as after); before=N or neither: the newest `limit` below N (next: pass as before). ' +
    'changedAfter=N (alone): the messages edited or deleted after change N, in their current state, by ascending changeSeq (next: pass as changedAfter)',
  tag: 'messages',
  params: ConversationParams,
  query: z
    .object({
      before: SeqParam.optional(),
      after: SeqParam.optional(),
      /** A change cursor (a message's changeSeq, a conversation's lastChangeSeq): pages of changes, not of history. */
      changedAfter: SeqParam.optional(),
      limit: limitParam(MESSAGE_LIMITS.historyLimitMax).optional(),
    })
    .refine((q) => q.changedAfter === undefined || (q.after === undefined && q.before === undefined), {
      message: 'changedAfter pages through changes and cannot be combined with before or after',
      path: ['changedAfter'],
    }),
  response: page(Message),
});

const SendBody = z.strictObject({
  clientId: PlainText.pipe(z.string().min(1, 'A clientId is required').max(MESSAGE_LIMITS.clientIdMax, `A clientId has at most ${MESSAGE_LIMITS.clientIdMax} characters`)),
  body: Body,
  fileIds: z
    .array(Id)
    .max(MESSAGE_LIMITS.filesMax, `At most ${MESSAGE_LIMITS.filesMax} files per message`)
    // The same file twice is a client's mistake: said, not quietly dropped.
    .refine((ids) => new Set(ids).size === ids.length, 'A file can be attached to a message only once')
    .optional(),
});

export const send = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/messages',
  summary: 'Send a message (idempotent on clientId: a retry answers the first message with 200)',
  tag: 'messages',
  status: 201,
  params: ConversationParams,
  body: SendBody,
  response: Message,
});

/**
 * `message.send` over the WebSocket: the send route's body plus the conversation, one schema so
 * the two ways of sending cannot drift apart.
 */
export const sendFrame = SendBody.extend({ type: z.literal('message.send'), conversationId: Id });

export const edit = defineRoute({
  method: 'PATCH',
  path: '/api/v1/conversations/:id/messages/:messageId',
  summary: 'Edit your own message',
  tag: 'messages',
  params: MessageParams,
  body: z.strictObject({ body: Body }),
  response: Message,
});

export const remove = defineRoute({
  method: 'DELETE',
  path: '/api/v1/conversations/:id/messages/:messageId',
  summary: 'Delete your own message; a tombstone keeps its seq',
  tag: 'messages',
  params: MessageParams,
  response: Message,
});

export const ReadState = z.object({ conversationId: z.string(), lastReadSeq: z.number(), unreadCount: z.number() });
export type ReadState = z.infer<typeof ReadState>;

export const read = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/read',
  summary: 'Move your read cursor forward (a seq past the last message is clamped to it)',
  tag: 'messages',
  params: ConversationParams,
  body: z.strictObject({ seq: z.number().int('must be a whole number').min(0, 'must not be negative').max(Number.MAX_SAFE_INTEGER) }),
  response: ReadState,
});
