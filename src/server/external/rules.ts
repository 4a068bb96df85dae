import type { ConversationState, UserStatus } from '../../shared/api/shapes.js';
import type { PolicyReason } from '../../shared/errors.js';
import type { AppContext, Executor } from '../context.js';
import { directKey } from '../conversations/store.js';
import type { ConversationsTable } from '../db/schema.js';
import { Facts } from './facts.js';
import { decidePair, decidePending, decideSameOrgPair, emailDomainOf, MESSAGES, REQUEST_MESSAGE_LIMIT, type PersonFacts, type Verdict } from './verdict.js';

/**
 * The one place that decides whether a chat may be started or written to, and how an existing
 * chat looks to each member under the rules of this moment. The conversations domain calls these
 * and nothing else, so the cross-org rules of design.md (`verdict.ts`) plug in here. Nothing is
 * stored about policy changes: every answer is computed at read or send time, so a switched-off
 * org or stage makes chats read-only at once, and switching back makes them live again.
 */

export type Refusal = { allowed: false; reason?: PolicyReason; message: string };

export type DirectChatDecision = { allowed: true; state: Extract<ConversationState, 'live' | 'request'>; external: boolean } | Refusal;

/**
 * `requestLimit`: the chat is a message request of the sender's, who may have at most this many
 * messages in it while it stays one; the message writer holds them to it when it stores.
 */
export type SendDecision = { allowed: true; requestLimit?: number } | Refusal;

const ALLOWED: SendDecision = Object.freeze({ allowed: true });

/** The users' fields the rules read. */
export interface PersonRow {
  id: string;
  org_id: string;
  email_norm: string;
  status: string;
}

export type ConversationFacts = Pick<ConversationsTable, 'id' | 'state' | 'kind' | 'created_by' | 'pending_email'>;

function refusal(v: Verdict & { allowed: false }): Refusal {
  return { allowed: false, reason: v.reason, message: v.message };
}

async function pairVerdict(ctx: AppContext, facts: Facts, sender: PersonRow, recipient: PersonRow): Promise<Verdict> {
  // Colleagues: only both being active matters, so neither the orgs nor the stage are loaded.
  if (sender.org_id === recipient.org_id) return decideSameOrgPair(sender.status as UserStatus, recipient.status as UserStatus);
  const [s, r] = await Promise.all([facts.personFromRow(sender), facts.personFromRow(recipient)]);
  if (!s || !r) return { allowed: false, reason: 'user_inactive', message: MESSAGES.userInactive };
  // Blocks only matter across orgs (they come from message requests); same-org pairs skip the read.
  const blocks = s.org.id === r.org.id ? { senderBlockedRecipient: false, recipientBlockedSender: false } : await facts.blocks(s.id, r.id);
  return decidePair(await ctx.settings.stage(), s, r, blocks);
}

async function pendingVerdict(ctx: AppContext, facts: Facts, sender: PersonRow, emailNorm: string): Promise<Verdict> {
  const s = await facts.personFromRow(sender);
  if (!s) return { allowed: false, reason: 'user_inactive', message: MESSAGES.senderInactive };
  return decidePending(await ctx.settings.stage(), s, emailNorm, await facts.orgOfDomain(emailDomainOf(emailNorm)));
}

/** May `sender` start (or reopen) a direct chat with `recipient`, and in which state? */
export async function decideDirectChat(ctx: AppContext, sender: PersonRow, recipient: PersonRow, facts = new Facts(ctx.db)): Promise<DirectChatDecision> {
  const v = await pairVerdict(ctx, facts, sender, recipient);
  if (!v.allowed) return refusal(v);
  // A declined request stays declined: starting over would get round the recipient's answer.
  if (v.external && (await hasDeclinedRequest(facts.db, sender.id, recipient.id))) return { allowed: false, message: MESSAGES.declined };
  return { allowed: true, state: v.needsAcceptance ? 'request' : 'live', external: v.external };
}

/**
 * The state a pending chat is bound in when the rules refuse the pair at that moment. It is
 * read-only while they do (by the read-time rule), and must be, once they allow it again, what
 * it would have been: a message request when the recipient's org asks outsiders for acceptance,
 * not a live chat that skipped the recipient's answer.
 */
export async function boundStateWhenRefused(sender: PersonRow, recipient: PersonRow, facts: Facts): Promise<'request' | 'live'> {
  if (sender.org_id === recipient.org_id) return 'live';
  return (await facts.org(recipient.org_id))?.policy.requireAcceptance ? 'request' : 'live';
}

async function hasDeclinedRequest(db: Executor, senderId: string, recipientId: string): Promise<boolean> {
  const row = await db
    .selectFrom('conversations')
    .select('id')
    .where('direct_key', '=', directKey(senderId, recipientId))
    .where('state', '=', 'declined')
    .where('created_by', '=', senderId)
    .executeTakeFirst();
  return row !== undefined;
}

/** May `sender` start a pending chat with an email that has no active user (and invite them)? */
export async function decidePendingChat(ctx: AppContext, sender: PersonRow, emailNorm: string, facts = new Facts(ctx.db)): Promise<SendDecision & { external?: boolean }> {
  const v = await pendingVerdict(ctx, facts, sender, emailNorm);
  if (!v.allowed) return refusal(v);
  return { allowed: true, external: v.external };
}

/** The other current member of a direct chat, if it has one (a pending chat has not). */
export async function otherDirectMember(db: Executor, conversationId: string, userId: string): Promise<PersonRow | null> {
  const row = await db
    .selectFrom('conversation_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.org_id', 'u.email_norm', 'u.status'])
    .where('m.conversation_id', '=', conversationId)
    .where('m.user_id', '<>', userId)
    .executeTakeFirst();
  return row ?? null;
}

/** Messages `userId` wrote into a chat (the request limit counts them). */
async function countOwnMessages(db: Executor, conversationId: string, userId: string): Promise<number> {
  const r = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('conversation_id', '=', conversationId)
    .where('sender_id', '=', userId)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * May `sender` (a current member) write into `conversation` now? `hasFiles`: the message carries
 * attachments (not allowed before a message request is accepted). `other`: the other member of a
 * direct chat when the caller has loaded it already (null: it has none), so it is not read again.
 */
export async function decideSend(
  ctx: AppContext,
  conversation: ConversationFacts,
  sender: PersonRow,
  opts: { hasFiles?: boolean; other?: PersonRow | null } = {},
  facts?: Facts,
): Promise<SendDecision> {
  if (conversation.kind !== 'direct') {
    return conversation.state === 'live' ? ALLOWED : { allowed: false, message: 'This chat is not open for new messages.' };
  }
  // Most messages: two active colleagues in a live chat. The answer the full path below gives
  // them, without loading anything (a send pays for every allocation here).
  const other = opts.other;
  if (conversation.state === 'live' && other && other.org_id === sender.org_id && decideSameOrgPair(sender.status as UserStatus, other.status as UserStatus).allowed) {
    return ALLOWED;
  }
  facts ??= new Facts(ctx.db);
  const view = await viewOf(ctx, facts, conversation, sender, opts.other);
  if (view.reason) return { allowed: false, reason: view.reason, message: view.reasonMessage ?? MESSAGES.userInactive };
  switch (view.state) {
    case 'live':
      return ALLOWED;
    case 'pending':
      // Written now, read once someone verifies the email: if their org will make the chat a
      // message request, what is written meanwhile is held to the request's rules, or binding
      // would deliver more than a request may carry.
      return view.pendingRequest ? requestSend(facts, conversation, sender, opts.hasFiles) : ALLOWED;
    case 'request':
      if (conversation.created_by !== sender.id) return { allowed: false, message: 'Accept this message request to reply.' };
      return requestSend(facts, conversation, sender, opts.hasFiles);
    case 'declined':
      return conversation.created_by === sender.id
        ? { allowed: false, message: MESSAGES.declined }
        : { allowed: false, message: 'Accept this message request to reply.' };
    default:
      return { allowed: false, message: 'This chat is not open for new messages.' };
  }
}

/** A message request's sender may write a few messages, and no files, until it is accepted. */
async function requestSend(facts: Facts, conversation: ConversationFacts, sender: PersonRow, hasFiles: boolean | undefined): Promise<SendDecision> {
  // The same reason the file upload gives: nothing beyond the request's few messages.
  if (hasFiles) return { allowed: false, reason: 'request_limit', message: MESSAGES.requestNoFiles };
  const sent = await countOwnMessages(facts.db, conversation.id, sender.id);
  if (sent >= REQUEST_MESSAGE_LIMIT) return { allowed: false, reason: 'request_limit', message: MESSAGES.requestLimit };
  // Counted again where the message is stored: sends checked at the same moment all see this count.
  return { allowed: true, requestLimit: REQUEST_MESSAGE_LIMIT };
}

export interface ConversationView {
  state: ConversationState;
  reason?: PolicyReason;
  reasonMessage?: string;
  /** A pending chat that will be a message request once its email is verified (its domain's org asks for acceptance). */
  pendingRequest?: boolean;
}

async function viewOf(ctx: AppContext, facts: Facts, conversation: ConversationFacts, viewer: PersonRow, loadedOther?: PersonRow | null): Promise<ConversationView> {
  const stored = conversation.state as ConversationState;
  if (conversation.kind !== 'direct') return { state: stored };
  if (stored === 'blocked') {
    // The blocker sees their own block; the sender sees the same refusal they would get on send.
    const blocked = loadedOther !== undefined ? loadedOther : await otherDirectMember(facts.db, conversation.id, viewer.id);
    const blocks = await facts.blocks(viewer.id, blocked?.id ?? '');
    return {
      state: 'blocked',
      reason: 'blocked',
      reasonMessage: blocks.senderBlockedRecipient ? MESSAGES.blockedBySender : MESSAGES.blockedByRecipient,
    };
  }
  if (stored === 'declined') return { state: 'declined' };
  const other = loadedOther !== undefined ? loadedOther : await otherDirectMember(facts.db, conversation.id, viewer.id);
  let v: Verdict;
  if (other) v = await pairVerdict(ctx, facts, viewer, other);
  else if (conversation.pending_email) v = await pendingVerdict(ctx, facts, viewer, conversation.pending_email);
  else return { state: stored };
  if (v.allowed) return stored === 'pending' && !other && v.needsAcceptance ? { state: stored, pendingRequest: true } : { state: stored };
  return { state: 'readonly', reason: v.reason, reasonMessage: v.message };
}

/**
 * How a chat looks to `viewer` now: its stored state, or `readonly` with the reason when the
 * rules of this moment refuse it (a stage or policy switched off, a blocked domain, a deleted or
 * deactivated person). The reason is said from the viewer's side: the org that switched off
 * reads `sender_org_disabled`, the other side `recipient_org_not_accepting`.
 */
export async function conversationViewFor(
  ctx: AppContext,
  conversation: ConversationFacts,
  viewer: PersonRow,
  facts = new Facts(ctx.db),
  other?: PersonRow | null,
): Promise<ConversationView> {
  return viewOf(ctx, facts, conversation, viewer, other);
}

/** The other member (as `otherDirectMember` reads it) of each of these direct chats, in one query. */
export async function otherDirectMembers(db: Executor, conversationIds: readonly string[], userId: string): Promise<Map<string, PersonRow>> {
  const out = new Map<string, PersonRow>();
  if (conversationIds.length === 0) return out;
  const rows = await db
    .selectFrom('conversation_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.conversation_id', 'u.id', 'u.org_id', 'u.email_norm', 'u.status'])
    .where('m.conversation_id', 'in', conversationIds)
    .where('m.user_id', '<>', userId)
    .execute();
  for (const { conversation_id, ...person } of rows) if (!out.has(conversation_id)) out.set(conversation_id, person);
  return out;
}

export type { PersonFacts };
