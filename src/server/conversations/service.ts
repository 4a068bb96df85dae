import type { Conversation } from '../../shared/api/shapes.js';
import type { ServerEvent } from '../../shared/events.js';
import { findLiveUserByEmail, type UserWithOrg } from '../accounts/store.js';
import { normalizeEmail } from '../accounts/tokens.js';
import type { AppContext, Executor } from '../context.js';
import { isUniqueViolation } from '../db/util.js';
import { doRecordDirectChatStarted } from '../external/journal.js';
import { applyConversationRules, applyConversationRulesAll } from '../external/present.js';
import { doStartPendingChat } from '../external/pending.js';
import { decideDirectChat } from '../external/rules.js';
import { encodeCursor, isCursorText, readCursor } from '../http/cursor.js';
import { AppError, badRequest, policyRefused } from '../http/errors.js';
import { checkMembership } from './access.js';
import { loadConversationViews, presentForEveryone, type Viewer } from './present.js';
import { directKey, findOpenDirectChat, getConversationRow, insertConversation, listMemberConversations, newConversationRow, type ListCursor } from './store.js';

/** Conversations: starting direct chats, group chats, reading the chat list. */

export function viewerOf(user: Pick<UserWithOrg, 'id' | 'org_id'>): Viewer {
  return { userId: user.id, orgId: user.org_id };
}

/** One conversation as `viewer` sees it; 404 unless they are a current member. */
export async function getConversationFor(ctx: AppContext, viewer: Viewer, conversationId: string, db: Executor = ctx.db): Promise<Conversation> {
  const row = await checkMembership(db, conversationId, viewer.userId);
  const [view] = await loadConversationViews(db, viewer, [row]);
  // The cross-org rules of this moment (read-only states, labels) are applied at read time.
  return applyConversationRules(ctx, viewer.userId, view!);
}

/**
 * Tells every current member (each with their own labels and read state) that a conversation
 * appeared or changed; `extra` are people who just lost access, told one last time.
 */
export async function publishConversation(
  ctx: AppContext,
  conversationId: string,
  type: 'conversation.created' | 'conversation.updated',
  opts: { onlyTo?: ReadonlySet<string>; extra?: { userId: string; orgId: string; lastReadSeq: number }[]; otherType?: 'conversation.updated' } = {},
): Promise<void> {
  const row = await getConversationRow(ctx.db, conversationId);
  if (!row) return;
  const { shared, viewers } = await presentForEveryone(ctx.db, row, opts.extra);
  const typeFor = (userId: string) => (!opts.onlyTo || opts.onlyTo.has(userId) ? type : opts.otherType);
  if (row.kind !== 'group') {
    // A direct chat's state and labels are each side's own (the cross-org rules).
    for (const v of viewers) {
      const t = typeFor(v.userId);
      if (t) ctx.events.publish([v.userId], { type: t, conversation: await applyConversationRules(ctx, v.userId, { ...shared.get(v.orgId)!, ...v.read }) });
    }
    return;
  }
  // A group looks the same to all its members but for their read state: it is labelled once,
  // and members with the same read state share one event, serialized once.
  const labelled = new Map<string, Conversation>();
  for (const [orgId, c] of shared) labelled.set(orgId, await applyConversationRules(ctx, '', c));
  const events = new Map<string, { userIds: string[]; event: ServerEvent }>();
  for (const v of viewers) {
    const t = typeFor(v.userId);
    if (!t) continue;
    const key = `${t}|${v.orgId}|${v.read.lastReadSeq}|${v.read.unreadCount}`;
    let e = events.get(key);
    if (!e) events.set(key, (e = { userIds: [], event: { type: t, conversation: { ...labelled.get(v.orgId)!, ...v.read } } }));
    e.userIds.push(v.userId);
  }
  for (const e of events.values()) ctx.events.publish(e.userIds, e.event);
}

function decodeCursor(s: string): ListCursor {
  const v = readCursor(s);
  if (Array.isArray(v) && v.length === 2 && isCursorText(v[0]) && isCursorText(v[1])) return { at: v[0], id: v[1] };
  throw badRequest('Invalid cursor: pass the `next` value of the previous page');
}

/** The chat list, most recent activity first, in pages. */
export async function listConversationsFor(ctx: AppContext, viewer: Viewer, q: { cursor?: string; limit?: number }): Promise<{ items: Conversation[]; next?: string }> {
  const limit = q.limit ?? 30;
  const cursor = q.cursor ? decodeCursor(q.cursor) : null;
  const rows = await listMemberConversations(ctx.db, viewer.userId, cursor, limit + 1);
  const page = rows.slice(0, limit);
  const items = await applyConversationRulesAll(ctx, viewer.userId, await loadConversationViews(ctx.db, viewer, page));
  const last = page[page.length - 1];
  return rows.length > limit && last ? { items, next: encodeCursor([last.last_activity_at, last.id]) } : { items };
}

export interface StartResult {
  conversation: Conversation;
  created: boolean;
}

/**
 * "Start communicating" with a person who has an account: their open direct chat, or a new one
 * in the state the rules decide. Concurrent calls for the same pair make one chat: the unique
 * index on open direct chats refuses the second insert, which then answers the first's chat.
 * Also the entry point for other domains (chat requests, bound invitations).
 */
export async function doStartDirectChatWithUser(ctx: AppContext, sender: UserWithOrg, recipient: UserWithOrg, ip: string | null = null): Promise<StartResult> {
  if (recipient.id === sender.id) throw badRequest('You cannot start a chat with yourself');
  const decision = await decideDirectChat(ctx, sender, recipient);
  if (!decision.allowed) {
    if (decision.reason) throw policyRefused(decision.reason, decision.message);
    throw new AppError(403, 'forbidden', decision.message);
  }
  const key = directKey(sender.id, recipient.id);
  const existing = await findOpenDirectChat(ctx.db, key);
  if (existing) return { conversation: await getConversationFor(ctx, viewerOf(sender), existing.id), created: false };

  const row = newConversationRow({ kind: 'direct', state: decision.state, direct_key: key, created_by: sender.id });
  try {
    await ctx.db.transaction().execute((trx) =>
      insertConversation(trx, row, [
        { userId: sender.id, lastReadSeq: 0 },
        { userId: recipient.id, lastReadSeq: 0 },
      ]).then(() => doRecordDirectChatStarted(trx, { conversationId: row.id, state: row.state, sender, recipient, ip })),
    );
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await findOpenDirectChat(ctx.db, key);
    if (!winner) throw err;
    return { conversation: await getConversationFor(ctx, viewerOf(sender), winner.id), created: false };
  }
  await publishConversation(ctx, row.id, 'conversation.created');
  return { conversation: await getConversationFor(ctx, viewerOf(sender), row.id), created: true };
}

/** "Start communicating" by email (POST /conversations/direct); `ip` goes into the sender's org's audit log. */
export async function doStartDirectChat(ctx: AppContext, sender: UserWithOrg, email: string, invite = false, ip: string | null = null): Promise<StartResult> {
  const emailNorm = normalizeEmail(email);
  if (emailNorm === sender.email_norm) throw badRequest('You cannot start a chat with yourself');
  const recipient = await findLiveUserByEmail(ctx.db, emailNorm);
  // An address with no account yet gets a pending chat (and, if asked, an invitation mail).
  if (!recipient) return doStartPendingChat(ctx, sender, email.trim(), emailNorm, invite);
  return doStartDirectChatWithUser(ctx, sender, recipient, ip);
}
