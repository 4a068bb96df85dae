import type { Conversation, Participant } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { Facts } from './facts.js';
import { conversationViewFor, otherDirectMembers, type PersonRow } from './rules.js';
import { emailDomainOf } from './verdict.js';

/**
 * What the cross-org rules add to a presented conversation: the state of this moment (a chat
 * the rules now refuse reads `readonly`, with the reason said from the viewer's side) and
 * participant labels of design.md rule 5. The conversations presenter builds the rest.
 */

export function participantLabel(p: Participant): string | undefined {
  if (p.pending) return 'Invited · not on Parley yet';
  if (p.deleted) return p.orgName ? `Former member of ${p.orgName}` : 'Deleted user';
  if (p.external) return `External · ${p.orgName ?? ''}`.trim();
  return undefined;
}

function loadViewer(facts: Facts, viewerId: string): Promise<PersonRow | undefined> {
  return facts.db.selectFrom('users').select(['id', 'org_id', 'email_norm', 'status']).where('id', '=', viewerId).executeTakeFirst();
}

/**
 * `preloaded`: the viewer's row and the chat's other member when the caller loaded them for many
 * chats at once (`applyConversationRulesAll`).
 */
export async function applyConversationRules(
  ctx: AppContext,
  viewerId: string,
  conversation: Conversation,
  facts = new Facts(ctx.db),
  preloaded?: { viewer: PersonRow | undefined; other: PersonRow | null },
): Promise<Conversation> {
  const labelled = (p: Participant) => {
    const label = participantLabel(p);
    return label ? { ...p, label } : p;
  };
  const participants = conversation.participants.map(labelled);
  if (conversation.kind !== 'direct') {
    return { ...conversation, participants, ...(conversation.formerParticipants ? { formerParticipants: conversation.formerParticipants.map(labelled) } : {}) };
  }
  const viewer = preloaded ? preloaded.viewer : await loadViewer(facts, viewerId);
  if (!viewer) return { ...conversation, participants };
  const pendingEmail = conversation.participants.find((p) => p.pending)?.email ?? null;
  let people = participants;
  if (pendingEmail) {
    // A future colleague (an address at one of the viewer's org's domains) joins this org by
    // signing up: not someone external, and not of no org.
    const org = await facts.orgOfDomain(emailDomainOf(pendingEmail));
    if (org && org.id === viewer.org_id) people = participants.map((p) => (p.pending ? { ...p, external: false, orgId: org.id, orgName: org.name } : p));
  }
  const view = await conversationViewFor(
    ctx,
    { id: conversation.id, kind: conversation.kind, state: conversation.state, created_by: conversation.createdBy, pending_email: pendingEmail },
    viewer,
    facts,
    preloaded?.other,
  );
  const out: Conversation = { ...conversation, participants: people, state: view.state };
  if (view.reason) out.reason = view.reason;
  if (view.reasonMessage) out.reasonMessage = view.reasonMessage;
  return out;
}

/**
 * The same for many conversations of one viewer, with a fixed number of queries whatever their
 * number: the viewer, the other members of the direct chats and the blocks between them are
 * loaded once for the page (orgs once each, by the shared facts).
 */
export async function applyConversationRulesAll(ctx: AppContext, viewerId: string, conversations: readonly Conversation[]): Promise<Conversation[]> {
  const facts = new Facts(ctx.db);
  const directIds = conversations.filter((c) => c.kind === 'direct').map((c) => c.id);
  if (directIds.length === 0) return Promise.all(conversations.map((c) => applyConversationRules(ctx, viewerId, c, facts)));
  const [viewer, others] = await Promise.all([loadViewer(facts, viewerId), otherDirectMembers(facts.db, directIds, viewerId)]);
  // Blocks are read for people of other orgs only (the rules skip them for colleagues).
  const external = [...new Set([...others.values()].filter((o) => o.org_id !== viewer?.org_id).map((o) => o.id))];
  await facts.preloadBlocks(viewerId, external);
  const out: Conversation[] = [];
  for (const c of conversations) out.push(await applyConversationRules(ctx, viewerId, c, facts, { viewer, other: others.get(c.id) ?? null }));
  return out;
}
