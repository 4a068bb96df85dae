import type { ConversationState } from '../../shared/api/shapes.js';
import type { PolicyReason } from '../../shared/errors.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext } from '../context.js';
import type { ConversationsTable } from '../db/schema.js';
import { getOrgRow } from '../orgs/store.js';
import { externalCapability } from './capability.js';

/**
 * The one place that decides whether a chat may be started or written to. The conversations
 * domain calls these and nothing else, so the cross-org rules of design.md plug in here.
 */

export type Refusal = { allowed: false; reason?: PolicyReason; message: string };

export type DirectChatDecision = { allowed: true; state: Extract<ConversationState, 'live' | 'request'> } | Refusal;

export type SendDecision = { allowed: true } | Refusal;

/** May `sender` start (or reopen) a direct chat with `recipient`, and in which state? */
export async function decideDirectChat(ctx: AppContext, sender: UserWithOrg, recipient: UserWithOrg): Promise<DirectChatDecision> {
  if (recipient.status !== 'active') {
    return { allowed: false, reason: 'user_inactive', message: 'This person’s account is not active, so they cannot receive messages.' };
  }
  if (sender.org_id === recipient.org_id) return { allowed: true, state: 'live' };
  const [senderOrg, recipientOrg] = await Promise.all([getOrgRow(ctx.db, sender.org_id), getOrgRow(ctx.db, recipient.org_id)]);
  if (!senderOrg || !recipientOrg) return { allowed: false, reason: 'user_inactive', message: 'This person cannot receive messages.' };
  const own = await externalCapability(ctx, senderOrg);
  if (!own.allowed) return { allowed: false, reason: own.reason, message: own.message ?? 'Your organization cannot message other organizations.' };
  const theirs = await externalCapability(ctx, recipientOrg);
  if (!theirs.allowed) {
    return { allowed: false, reason: 'recipient_org_not_accepting', message: 'This person’s organization does not accept messages from your organization.' };
  }
  return { allowed: true, state: 'live' };
}

/** May `sender` (a current member) write into `conversation` now? */
export async function decideSend(_ctx: AppContext, conversation: Pick<ConversationsTable, 'state' | 'kind' | 'created_by'>, _sender: UserWithOrg): Promise<SendDecision> {
  if (conversation.state === 'live') return { allowed: true };
  if (conversation.state === 'blocked') return { allowed: false, reason: 'blocked', message: 'This chat is blocked.' };
  return { allowed: false, message: 'This chat is not open for new messages.' };
}
