import type { Conversation } from '../../shared/api/shapes.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext } from '../context.js';
import { checkMembership } from '../conversations/access.js';
import { getConversationFor, publishConversation, viewerOf } from '../conversations/service.js';
import { lockConversation, updateConversationFields, type ConversationRow } from '../conversations/store.js';
import { isUniqueViolation } from '../db/util.js';
import { AppError, conflict, forbidden } from '../http/errors.js';
import { doAuditBothOrgs, doDeleteBlock, doInsertBlock, setRequestStatus, type JournalPerson } from './journal.js';

/**
 * Answers to message requests (design.md): the recipient accepts, declines or blocks; a decline
 * or a block can be undone (accept, unblock). Only the recipient answers: the person who started
 * the chat is told 403.
 */

export type RequestAction = 'accept' | 'decline' | 'block' | 'unblock';

/** Which stored states each answer applies to, and the state it leads to. */
const TRANSITIONS: Record<RequestAction, { from: readonly string[]; to: string; audit: string | null; status: 'open' | 'accepted' | 'declined' | 'blocked' }> = {
  accept: { from: ['request', 'declined', 'blocked'], to: 'live', audit: 'external.request_accepted', status: 'accepted' },
  decline: { from: ['request'], to: 'declined', audit: 'external.request_declined', status: 'declined' },
  block: { from: ['request', 'declined', 'live'], to: 'blocked', audit: 'external.request_blocked', status: 'blocked' },
  unblock: { from: ['blocked'], to: 'request', audit: null, status: 'open' },
};

async function loadSender(ctx: AppContext, conv: ConversationRow): Promise<JournalPerson & { status: string }> {
  const row = conv.created_by
    ? await ctx.db.selectFrom('users').select(['id', 'org_id', 'email', 'status']).where('id', '=', conv.created_by).executeTakeFirst()
    : undefined;
  if (!row) throw conflict('not_a_request', 'This chat is not a message request');
  return row;
}

/** The recipient of a direct chat someone else started, with the chat; else 403/404/409. */
export async function checkRequestRecipient(ctx: AppContext, user: UserWithOrg, conversationId: string): Promise<ConversationRow> {
  const conv = await checkMembership(ctx.db, conversationId, user.id);
  if (conv.kind !== 'direct' || conv.state === 'pending') throw conflict('not_a_request', 'This chat is not a message request');
  if (conv.created_by === user.id) throw forbidden('Only the person who received this request can answer it');
  return conv;
}

export async function doAnswerRequest(ctx: AppContext, user: UserWithOrg, conv: ConversationRow, action: RequestAction, ip: string | null): Promise<Conversation> {
  const t = TRANSITIONS[action];
  const sender = await loadSender(ctx, conv);
  // A live chat between colleagues is not a request; blocking only exists across orgs.
  if (action === 'block' && sender.org_id === user.org_id) throw conflict('not_a_request', 'People of your own organization cannot be blocked');
  let changed = false;
  try {
    await ctx.db.transaction().execute(async (trx) => {
      const now = await lockConversation(trx, conv.id, ctx.dialect);
      if (!now) throw conflict('not_a_request', 'This chat is not a message request');
      if (now.state === t.to) return;
      if (!t.from.includes(now.state)) {
        throw conflict('invalid_state', `This chat is ${now.state}; it cannot be answered with ${action}`);
      }
      await updateConversationFields(trx, conv.id, { state: t.to });
      if (action === 'block') await doInsertBlock(trx, user.id, sender.id, conv.id);
      if (action === 'accept' || action === 'unblock') await doDeleteBlock(trx, user.id, sender.id);
      await setRequestStatus(trx, conv.id, t.status);
      if (t.audit) {
        await doAuditBothOrgs(trx, { action: t.audit, actor: user, other: sender, conversationId: conv.id, data: { from: now.state, to: t.to }, ip });
      }
      changed = true;
    });
  } catch (err) {
    // Only one open chat per pair: the two already have another one.
    if (isUniqueViolation(err)) throw new AppError(409, 'conflict', 'You already have an open chat with this person');
    throw err;
  }
  if (changed) await publishConversation(ctx, conv.id, 'conversation.updated');
  return getConversationFor(ctx, viewerOf(user), conv.id);
}
