import type { AppContext } from '../context.js';
import { publishConversation } from '../conversations/service.js';

/** Past this many chats, members see the new state on their next read instead of by event. */
const MAX_NOTIFIED = 5000;

/**
 * Tells the members of an org's cross-org chats that their chats changed (a policy switched off
 * makes them read-only, switched back makes them live). Nothing is stored: the state is computed
 * at read time, so this is only a nudge for open clients, sent best effort after the commit and
 * never failing the change that caused it.
 */
export function publishPolicyChange(ctx: AppContext, scope: { orgId: string }): void {
  void notify(ctx, scope).catch((err: unknown) => ctx.log.warn({ err, orgId: scope.orgId }, 'policy change: notifying chat members failed'));
}

async function notify(ctx: AppContext, scope: { orgId: string }): Promise<void> {
  const rows = await ctx.db
    .selectFrom('conversation_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select('c.id')
    .distinct()
    .where('u.org_id', '=', scope.orgId)
    .where('c.kind', '=', 'direct')
    .where('m.left_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('c.state', '=', 'pending'),
        eb.exists(
          eb
            .selectFrom('conversation_members as o')
            .innerJoin('users as ou', 'ou.id', 'o.user_id')
            .select('o.user_id')
            .whereRef('o.conversation_id', '=', 'c.id')
            .where('ou.org_id', '<>', scope.orgId),
        ),
      ]),
    )
    .limit(MAX_NOTIFIED)
    .execute();
  for (const { id } of rows) await publishConversation(ctx, id, 'conversation.updated');
}
