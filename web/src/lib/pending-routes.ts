import { z } from 'zod';
import { Conversation, defineRoute, FileInfo, Message, Ok, OrgPolicy, page, PolicyReason } from '../../../src/shared/api/index.js';

/**
 * Route definitions of design.md's contract that the shared contract (src/shared/api) does not
 * define yet. Each group here is replaced by the shared one (in ./client.ts) as soon as it lands,
 * so the UI never holds a hand-written URL for a JSON endpoint.
 */

const IdParams = z.object({ id: z.string() });
const MsgParams = z.object({ id: z.string(), messageId: z.string() });
const ConversationAnswer = z.object({ conversation: Conversation });

export const Person = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  orgId: z.string(),
  orgName: z.string(),
  external: z.boolean(),
});
export type Person = z.infer<typeof Person>;

export const conversations = {
  list: defineRoute({ method: 'GET', path: '/api/v1/conversations', summary: '', tag: 'conversations', response: page(Conversation) }),
  get: defineRoute({ method: 'GET', path: '/api/v1/conversations/:id', summary: '', tag: 'conversations', params: IdParams, response: ConversationAnswer }),
  startDirect: defineRoute({
    method: 'POST',
    path: '/api/v1/conversations/direct',
    summary: '',
    tag: 'conversations',
    body: z.object({ email: z.string(), invite: z.boolean().optional() }),
    response: ConversationAnswer,
  }),
  accept: defineRoute({ method: 'POST', path: '/api/v1/conversations/:id/accept', summary: '', tag: 'conversations', params: IdParams, response: ConversationAnswer }),
  decline: defineRoute({ method: 'POST', path: '/api/v1/conversations/:id/decline', summary: '', tag: 'conversations', params: IdParams, response: ConversationAnswer }),
  block: defineRoute({ method: 'POST', path: '/api/v1/conversations/:id/block', summary: '', tag: 'conversations', params: IdParams, response: ConversationAnswer }),
  messages: defineRoute({
    method: 'GET',
    path: '/api/v1/conversations/:id/messages',
    summary: '',
    tag: 'conversations',
    params: IdParams,
    query: z.object({ before: z.number().optional(), after: z.number().optional(), limit: z.number().optional() }),
    response: page(Message),
  }),
  send: defineRoute({
    method: 'POST',
    path: '/api/v1/conversations/:id/messages',
    summary: '',
    tag: 'conversations',
    params: IdParams,
    body: z.object({ clientId: z.string(), body: z.string(), fileIds: z.array(z.string()).optional() }),
    response: z.object({ message: Message }),
  }),
  editMessage: defineRoute({
    method: 'PATCH',
    path: '/api/v1/conversations/:id/messages/:messageId',
    summary: '',
    tag: 'conversations',
    params: MsgParams,
    body: z.object({ body: z.string() }),
    response: z.object({ message: Message }),
  }),
  deleteMessage: defineRoute({
    method: 'DELETE',
    path: '/api/v1/conversations/:id/messages/:messageId',
    summary: '',
    tag: 'conversations',
    params: MsgParams,
    response: z.object({ message: Message }),
  }),
  read: defineRoute({
    method: 'POST',
    path: '/api/v1/conversations/:id/read',
    summary: '',
    tag: 'conversations',
    params: IdParams,
    body: z.object({ seq: z.number() }),
    response: Ok,
  }),
  files: defineRoute({ method: 'GET', path: '/api/v1/conversations/:id/files', summary: '', tag: 'files', params: IdParams, response: page(FileInfo) }),
};

export const directory = {
  search: defineRoute({
    method: 'GET',
    path: '/api/v1/directory/search',
    summary: '',
    tag: 'directory',
    query: z.object({ q: z.string() }),
    response: z.object({
      items: z.array(Person),
      notRegistered: z.boolean().optional(),
      canInvite: z.boolean().optional(),
      reason: PolicyReason.optional(),
      message: z.string().optional(),
    }),
  }),
};

export const ActivityItem = z.object({
  id: z.string(),
  kind: z.string(),
  at: z.string(),
  email: z.string().nullable().optional(),
  displayName: z.string().nullable().optional(),
  orgName: z.string().nullable().optional(),
  external: z.boolean().optional(),
  conversationId: z.string().nullable().optional(),
  summary: z.string().optional(),
});
export type ActivityItem = z.infer<typeof ActivityItem>;

export const activity = {
  list: defineRoute({ method: 'GET', path: '/api/v1/activity', summary: '', tag: 'activity', response: page(ActivityItem) }),
};

const SettingsAnswer = z.object({ policy: OrgPolicy });
export const external = {
  getSettings: defineRoute({ method: 'GET', path: '/api/v1/orgs/:id/settings', summary: '', tag: 'external', params: IdParams, response: SettingsAnswer }),
  updateSettings: defineRoute({
    method: 'PATCH',
    path: '/api/v1/orgs/:id/settings',
    summary: '',
    tag: 'external',
    params: IdParams,
    body: OrgPolicy.partial(),
    response: SettingsAnswer,
  }),
};
