import { getUserWithOrg, type UserWithOrg } from '../accounts/store.js';
import { doAudit } from '../audit/service.js';
import type { AppContext, Executor } from '../context.js';
import { getConversationFor, publishConversation, viewerOf, type StartResult } from '../conversations/service.js';
import { directKey, insertConversation, lockConversation, newConversationRow, updateConversationFields, upsertMembers, type ConversationRow } from '../conversations/store.js';
import { inKeyLock } from '../db/key-lock.js';
import { isUniqueViolation, newId, nowIso } from '../db/util.js';
import { AppError, policyRefused } from '../http/errors.js';
import { chatInvitationMail } from '../mail/templates.js';
import { doRecordDirectChatStarted } from './journal.js';
import { Facts } from './facts.js';
import { boundStateWhenRefused, decideDirectChat, decidePendingChat } from './rules.js';

/**
 * Pending chats (design.md rule 2): "start communicating" with an email that has no active user
 * makes a chat bound to the email, optionally with an invitation mail. Messages written into it
 * are stored as usual; when someone signs up with that email and verifies it, every pending chat
 * for it gets them as its second member, with what was written waiting as unread.
 */

/** An invitation is mailed again for the same chat at most this often. */
const REINVITE_AFTER_MS = 24 * 3600 * 1000;

async function findOwnPendingChat(db: Executor, creatorId: string, emailNorm: string): Promise<ConversationRow | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('kind', '=', 'direct')
    .where('state', '=', 'pending')
    .where('pending_email', '=', emailNorm)
    .where('created_by', '=', creatorId)
    .orderBy('created_at')
    .executeTakeFirst();
}

async function lastInvitationAt(db: Executor, conversationId: string): Promise<string | null> {
  const r = await db.selectFrom('chat_invitations').select('created_at').where('conversation_id', '=', conversationId).orderBy('created_at', 'desc').executeTakeFirst();
  return r?.created_at ?? null;
}

async function doInsertInvitation(db: Executor, sender: UserWithOrg, conversationId: string, email: string, emailNorm: string): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('chat_invitations')
    .values({ id: newId(), conversation_id: conversationId, inviter_id: sender.id, email, email_norm: emailNorm, created_at: now, accepted_user_id: null, accepted_at: null })
    .execute();
  await doAudit(db, {
    orgId: sender.org_id,
    actorId: sender.id,
    action: 'external.invitation_sent',
    targetType: 'conversation',
    targetId: conversationId,
    data: { email: emailNorm },
  });
}

async function sendInvitationMail(ctx: AppContext, sender: UserWithOrg, email: string): Promise<void> {
  const link = `${ctx.config.publicUrl}/signup?email=${encodeURIComponent(email)}`;
  await ctx.mailer.send(chatInvitationMail({ to: email, fromName: sender.display_name, fromOrgName: sender.org_name, link }));
}

/** The sender's pending chat with `email` (made now, or the one already there). */
export async function doStartPendingChat(ctx: AppContext, sender: UserWithOrg, email: string, emailNorm: string, invite: boolean): Promise<StartResult> {
  const decision = await decidePendingChat(ctx, sender, emailNorm);
  if (!decision.allowed) {
    if (decision.reason) throw policyRefused(decision.reason, decision.message);
    throw new AppError(403, 'forbidden', decision.message);
  }
  // One sender's chat with one address, whichever node the requests reach at the same moment:
  // the look for it and the chat (or invitation) it allows are one step.
  const started = await inKeyLock(ctx, [`pending-chat:${sender.id}:${emailNorm}`], async (trx) => {
    const existing = await findOwnPendingChat(trx, sender.id, emailNorm);
    if (existing) {
      const last = invite ? await lastInvitationAt(trx, existing.id) : null;
      const mail = invite && (!last || Date.now() - Date.parse(last) > REINVITE_AFTER_MS);
      if (mail) await doInsertInvitation(trx, sender, existing.id, email, emailNorm);
      return { id: existing.id, created: false, mail };
    }
    const row = newConversationRow({ kind: 'direct', state: 'pending', pending_email: emailNorm, created_by: sender.id });
    await insertConversation(trx, row, [{ userId: sender.id, lastReadSeq: 0 }]);
    if (invite) await doInsertInvitation(trx, sender, row.id, email, emailNorm);
    return { id: row.id, created: true, mail: invite };
  });
  if (started.mail) await sendInvitationMail(ctx, sender, email);
  if (started.created) await publishConversation(ctx, started.id, 'conversation.created');
  return { conversation: await getConversationFor(ctx, viewerOf(sender), started.id), created: started.created };
}

/**
 * Binds every pending chat for a newly verified user's email: each becomes a direct chat with
 * them, in the state the rules decide at this moment (a message request when their org asks for
 * acceptance). Should the rules refuse the pair now, the chat is still bound, read-only by the
 * same read-time rule as any chat a policy change stopped, and a request all the same when the
 * new user's org asks for acceptance. Safe to run twice.
 */
export async function doBindPendingChats(ctx: AppContext, userId: string): Promise<string[]> {
  const user = await getUserWithOrg(ctx.db, userId);
  if (!user || user.status !== 'active') return [];
  const pending = await ctx.db
    .selectFrom('conversations')
    .selectAll()
    .where('kind', '=', 'direct')
    .where('state', '=', 'pending')
    .where('pending_email', '=', user.email_norm)
    .orderBy('created_at')
    .execute();
  const bound: string[] = [];
  for (const conv of pending) {
    const creator = conv.created_by ? await getUserWithOrg(ctx.db, conv.created_by) : undefined;
    if (!creator || creator.id === user.id) continue;
    const facts = new Facts(ctx.db);
    const decision = await decideDirectChat(ctx, creator, user, facts);
    const state = decision.allowed ? decision.state : await boundStateWhenRefused(creator, user, facts);
    const bind = (key: string | null) =>
      ctx.db.transaction().execute(async (trx) => {
        const now = await lockConversation(trx, conv.id, ctx.dialect);
        if (!now || now.state !== 'pending') return false;
        const at = nowIso();
        await upsertMembers(trx, conv.id, [user.id], 0, at);
        await updateConversationFields(trx, conv.id, { state, direct_key: key });
        await trx
          .updateTable('chat_invitations')
          .set({ accepted_user_id: user.id, accepted_at: at })
          .where('conversation_id', '=', conv.id)
          .where('accepted_at', 'is', null)
          .execute();
        await doRecordDirectChatStarted(trx, { conversationId: conv.id, state, sender: creator, recipient: user, via: 'invitation' });
        return true;
      });
    let done: boolean;
    try {
      done = await bind(directKey(creator.id, user.id));
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // The two already have an open chat (another pending chat bound first): this one still
      // reaches the new user, it just is not the pair's "open" chat that typing the email finds.
      done = await bind(null);
    }
    if (!done) continue;
    bound.push(conv.id);
    await publishConversation(ctx, conv.id, 'conversation.created');
  }
  return bound;
}
