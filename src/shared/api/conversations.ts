import { z } from 'zod';
import { hasVisibleChar, Id, limitParam, UNSAFE_NAME_CHARS } from './common.js';
import { Email } from './auth.js';
import { defineRoute } from './define.js';
import { Conversation, Ok, page } from './shapes.js';

/** Limits shared by server validation and client forms. */
export const CONVERSATION_LIMITS = {
  titleMax: 100,
  /** Members of a group chat at creation, the creator included. */
  groupMembersMax: 1000,
  /** Members one call may add. */
  addMembersMax: 1000,
  listLimitMax: 100,
  listLimitDefault: 30,
} as const;

/** Text people type: NUL characters are refused (PostgreSQL cannot store them). */
export const PlainText = z.string().refine((s) => !s.includes('\u0000'), 'Text cannot contain NUL characters');

export const Title = PlainText.pipe(
  z
    .string()
    .trim()
    .min(1, 'A title is required')
    .max(CONVERSATION_LIMITS.titleMax, `A title has at most ${CONVERSATION_LIMITS.titleMax} characters`)
    // Shown in every member's chat list and in notes: as for names, nothing that moves the
    // terminal's cursor or turns the text around, and something that can be seen.
    .refine((s) => !UNSAFE_NAME_CHARS.test(s), 'A title cannot contain control or text-direction characters')
    .refine(hasVisibleChar, 'A title needs at least one visible character'),
);


const IdParams = z.object({ id: Id });

export const startDirect = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/direct',
  summary: 'Start communicating with a person by email: their existing direct chat (200) or a new one (201)',
  tag: 'conversations',
  status: 201,
  crossOrg: true,
  body: z.strictObject({ email: Email, invite: z.boolean().optional() }),
  response: Conversation,
});

export const create = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations',
  summary: 'Create a group chat of people of your organization',
  tag: 'conversations',
  status: 201,
  body: z.strictObject({
    title: Title,
    memberIds: z.array(Id).max(CONVERSATION_LIMITS.groupMembersMax, `A group chat starts with at most ${CONVERSATION_LIMITS.groupMembersMax} members`),
  }),
  response: Conversation,
});

export const list = defineRoute({
  method: 'GET',
  path: '/api/v1/conversations',
  summary: 'The chat list, most recent activity first',
  tag: 'conversations',
  query: z.object({
    cursor: z.string().max(200).optional(),
    limit: limitParam(CONVERSATION_LIMITS.listLimitMax).optional(),
  }),
  response: page(Conversation),
});

export const get = defineRoute({
  method: 'GET',
  path: '/api/v1/conversations/:id',
  summary: 'One chat',
  tag: 'conversations',
  params: IdParams,
  response: Conversation,
});

export const update = defineRoute({
  method: 'PATCH',
  path: '/api/v1/conversations/:id',
  summary: 'Rename a group chat',
  tag: 'conversations',
  params: IdParams,
  body: z.strictObject({ title: Title }),
  response: Conversation,
});

export const addMembers = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/members',
  summary: 'Add colleagues to a group chat',
  tag: 'conversations',
  params: IdParams,
  body: z.strictObject({
    userIds: z.array(Id).min(1, 'Name at least one person').max(CONVERSATION_LIMITS.addMembersMax, `At most ${CONVERSATION_LIMITS.addMembersMax} people at a time`),
  }),
  response: Conversation,
});

export const removeMember = defineRoute({
  method: 'DELETE',
  path: '/api/v1/conversations/:id/members/:userId',
  summary: 'Remove a member from a group chat (removing yourself leaves it)',
  tag: 'conversations',
  params: z.object({ id: Id, userId: Id }),
  response: Ok,
});

export const leave = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/leave',
  summary: 'Leave a group chat',
  tag: 'conversations',
  params: IdParams,
  response: Ok,
});
