import { doAudit } from '../audit/service.js';
import type { Executor } from '../context.js';
import { nowIso } from '../db/util.js';

/**
 * What the external domain records when chats cross orgs: audit entries in EACH org involved
 * (both orgs' admins see what their people did across the boundary) and the bookkeeping of
 * message requests. Called inside the transaction that makes the change.
 */

export interface JournalPerson {
  id: string;
  org_id: string;
  email: string;
}

function who(p: JournalPerson) {
  return { userId: p.id, email: p.email, orgId: p.org_id };
}

/**
 * Audits an action once in each org of the two people (once when they share an org). The actor's
 * address is theirs and their org's to know: the other org's entry carries no IP.
 */
export async function doAuditBothOrgs(
  db: Executor,
  e: { action: string; actor: JournalPerson; other: JournalPerson; conversationId: string; data?: Record<string, unknown>; ip?: string | null },
): Promise<void> {
  const orgs = [...new Set([e.actor.org_id, e.other.org_id])];
  for (const orgId of orgs) {
    await doAudit(db, {
      orgId,
      actorId: e.actor.id,
      action: e.action,
      targetType: 'conversation',
      targetId: e.conversationId,
      data: { actor: who(e.actor), other: who(e.other), ...e.data },
      ip: orgId === e.actor.org_id ? (e.ip ?? null) : null,
    });
  }
}

/**
 * A direct chat between two people with accounts was just made. Across orgs it is audited in
 * both orgs, and a message request is recorded for the recipient's activity feed.
 */
export async function doRecordDirectChatStarted(
  db: Executor,
  e: { conversationId: string; state: string; sender: JournalPerson; recipient: JournalPerson; via?: 'direct' | 'invitation'; ip?: string | null },
): Promise<void> {
  if (e.sender.org_id === e.recipient.org_id) return;
  await doAuditBothOrgs(db, {
    action: 'external.chat_started',
    actor: e.sender,
    other: e.recipient,
    conversationId: e.conversationId,
    data: { state: e.state, via: e.via ?? 'direct' },
    ip: e.ip ?? null,
  });
  if (e.state === 'request') {
    await db
      .insertInto('message_requests')
      .values({ conversation_id: e.conversationId, sender_id: e.sender.id, recipient_id: e.recipient.id, status: 'open', created_at: nowIso(), decided_at: null })
      .onConflict((oc) => oc.column('conversation_id').doUpdateSet({ status: 'open', decided_at: null }))
      .execute();
  }
}

export async function setRequestStatus(db: Executor, conversationId: string, status: 'open' | 'accepted' | 'declined' | 'blocked'): Promise<void> {
  await db.updateTable('message_requests').set({ status, decided_at: status === 'open' ? null : nowIso() }).where('conversation_id', '=', conversationId).execute();
}

export async function doInsertBlock(db: Executor, blockerId: string, blockedId: string, conversationId: string): Promise<void> {
  await db
    .insertInto('user_blocks')
    .values({ blocker_id: blockerId, blocked_id: blockedId, conversation_id: conversationId, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
    .execute();
}

export async function doDeleteBlock(db: Executor, blockerId: string, blockedId: string): Promise<void> {
  await db.deleteFrom('user_blocks').where('blocker_id', '=', blockerId).where('blocked_id', '=', blockedId).execute();
}
