import type { Conversation, Participant } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { Facts } from './facts.js';
import { conversationViewFor } from './rules.js';

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

export async function applyConversationRules(ctx: AppContext, viewerId: string, conversation: Conversation, facts = new Facts(ctx.db)): Promise<Conversation> {
  const participants = conversation.participants.map((p) => {
    const label = participantLabel(p);
    return label ? { ...p, label } : p;
  });
  if (conversation.kind !== 'direct') return { ...conversation, participants };
  const viewer = await facts.db.selectFrom('users').select(['id', 'org_id', 'email_norm', 'status']).where('id', '=', viewerId).executeTakeFirst();
  if (!viewer) return { ...conversation, participants };
  const pendingEmail = conversation.participants.find((p) => p.pending)?.email ?? null;
  const view = await conversationViewFor(
    ctx,
    { id: conversation.id, kind: conversation.kind, state: conversation.state, created_by: conversation.createdBy, pending_email: pendingEmail },
    viewer,
    facts,
  );
  const out: Conversation = { ...conversation, participants, state: view.state };
  if (view.reason) out.reason = view.reason;
  if (view.reasonMessage) out.reasonMessage = view.reasonMessage;
  return out;
}

/** The same for many conversations of one viewer, sharing one set of loaded facts. */
export async function applyConversationRulesAll(ctx: AppContext, viewerId: string, conversations: readonly Conversation[]): Promise<Conversation[]> {
  const facts = new Facts(ctx.db);
  const out: Conversation[] = [];
  for (const c of conversations) out.push(await applyConversationRules(ctx, viewerId, c, facts));
  return out;
}
