import { z } from 'zod';
import { Id } from './common.js';
import { defineRoute } from './define.js';
import { Conversation, OrgPolicy } from './shapes.js';

/** Cross-org messaging: each org's policy, and answers to message requests. */

export const EXTERNAL_LIMITS = {
  /** Entries of an allow- or block-list. */
  domainsMax: 500,
  domainMax: 253,
} as const;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A domain as an admin types it: trimmed, lower-cased, a valid hostname of two labels or more. */
export const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((s) => s.replace(/\.$/, ''))
  .refine(
    (s) => s.length >= 3 && s.length <= EXTERNAL_LIMITS.domainMax && s.split('.').length >= 2 && s.split('.').every((l) => LABEL.test(l)),
    'Not a valid domain name (e.g. partner.example)',
  );

const DomainList = z
  .array(Domain)
  .max(EXTERNAL_LIMITS.domainsMax, `A list has at most ${EXTERNAL_LIMITS.domainsMax} domains`)
  .transform((list) => [...new Set(list)].sort());

/**
 * A change of an org's policy: only the fields given change; `null` removes an override, so the
 * field follows the plan's default again. Unknown fields are refused.
 */
export const OrgSettingsPatch = z.strictObject({
  externalMessaging: z.boolean().nullable().optional(),
  allow: z.enum(['anyone', 'listed']).nullable().optional(),
  allowDomains: DomainList.nullable().optional(),
  blockDomains: DomainList.nullable().optional(),
  requireAcceptance: z.boolean().nullable().optional(),
  externalFiles: z.boolean().nullable().optional(),
  /** Checked against the deployment's maximum by the server. */
  maxFileBytes: z.number().int('maxFileBytes must be a whole number of bytes').min(1, 'maxFileBytes is at least 1').nullable().optional(),
});
export type OrgSettingsPatch = z.infer<typeof OrgSettingsPatch>;

export const OrgSettings = z.object({
  orgId: z.string(),
  /** What applies now: the plan's defaults with the admins' overrides on top. */
  policy: OrgPolicy,
  /** Only the fields admins have set. */
  overrides: OrgPolicy.partial(),
  /** The plan's defaults. */
  defaults: OrgPolicy,
  /** The largest `maxFileBytes` this deployment accepts. */
  deploymentMaxFileBytes: z.number(),
});
export type OrgSettings = z.infer<typeof OrgSettings>;

const OrgParams = z.strictObject({ id: Id });
const ConversationParams = z.object({ id: Id });

export const getSettings = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:id/settings',
  summary: "The org's cross-org policy (admins)",
  tag: 'orgs',
  params: OrgParams,
  response: OrgSettings,
});

export const patchSettings = defineRoute({
  method: 'PATCH',
  path: '/api/v1/orgs/:id/settings',
  summary: "Change the org's cross-org policy; takes effect at once on existing chats (admins)",
  tag: 'orgs',
  params: OrgParams,
  body: OrgSettingsPatch,
  response: OrgSettings,
});

export const accept = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/accept',
  summary: 'Accept a message request (or undo a decline or a block): the chat becomes live',
  tag: 'conversations',
  crossOrg: true,
  params: ConversationParams,
  response: Conversation,
});

export const decline = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/decline',
  summary: 'Decline a message request: the sender cannot write any more (accept later undoes it)',
  tag: 'conversations',
  crossOrg: true,
  params: ConversationParams,
  response: Conversation,
});

export const block = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/block',
  summary: 'Block the sender of a message request: no new chat from them until unblocked',
  tag: 'conversations',
  crossOrg: true,
  params: ConversationParams,
  response: Conversation,
});

export const unblock = defineRoute({
  method: 'POST',
  path: '/api/v1/conversations/:id/unblock',
  summary: 'Undo a block: the chat returns to a message request waiting for an answer',
  tag: 'conversations',
  crossOrg: true,
  params: ConversationParams,
  response: Conversation,
});

