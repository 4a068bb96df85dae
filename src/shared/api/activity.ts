import { z } from 'zod';
import { limitParam } from './common.js';
import { defineRoute } from './define.js';
import { ConversationState, page, Participant } from './shapes.js';

/** The Today feed (design.md): recent chats, invitations sent, message requests received. */

export const ACTIVITY_LIMITS = { pageDefault: 30, pageMax: 100 } as const;

/** The other person of an entry, labelled like a chat participant (design.md rule 5). */
export const ActivityPerson = Participant.omit({ status: true });

/**
 * What "message" and "call" from this entry do: exactly what typing the email does
 * (POST /api/v1/conversations/direct and POST /api/v1/calls with `{email}`), rule 3.
 */
const EmailAction = z.object({ email: z.string() });

export const ActivityEntry = z.object({
  id: z.string(),
  kind: z.enum(['chat', 'invitation', 'request']),
  at: z.string(),
  conversationId: z.string(),
  /** For chats: the chat's state as the viewer sees it; `readonly` when policy refuses it now. */
  state: ConversationState.optional(),
  /** For invitations: `pending | accepted`; for requests: `open | accepted | declined | blocked`. */
  status: z.string().optional(),
  person: ActivityPerson,
  /** The last message's text, for chats (empty when deleted). */
  preview: z.string().nullable().optional(),
  unreadCount: z.number().optional(),
  actions: z.object({ message: EmailAction, call: EmailAction }),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

const Limit = limitParam(ACTIVITY_LIMITS.pageMax);

export const feed = defineRoute({
  method: 'GET',
  path: '/api/v1/activity',
  summary: 'The Today feed, newest first; every entry can start a chat or a call with its person',
  tag: 'activity',
  crossOrg: true,
  query: z.strictObject({ cursor: z.string().min(1).max(500).optional(), limit: Limit.optional() }),
  response: page(ActivityEntry),
});
