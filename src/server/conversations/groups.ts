import type { Conversation } from '../../shared/api/shapes.js';
import { CONVERSATION_LIMITS } from '../../shared/api/conversations.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext, Executor } from '../context.js';
import { nowIso } from '../db/util.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import { getConversationFor, publishConversation, viewerOf } from './service.js';
import { doWriteSystemNote, type StoredNote } from './system-notes.js';
import { withGroupLock } from './group-lock.js';
import { messageWriter, publishMessageCreated } from './writer.js';
import { currentMemberIds, getMemberRow, insertConversation, lockConversation, newConversationRow, markMemberLeft, updateConversationFields, upsertMembers, type ConversationRow } from './store.js';

/** Group chats: people of one org, with a title, whose members add and remove colleagues. */

// Largest group reachable by adding people; keeps one message's fan-out bounded.
const GROUP_MEMBERS_MAX = 5000;

/** Refuses ids that are not active users of `orgId`, naming a few of them. */
async function checkColleagues(db: Executor, orgId: string, userIds: readonly string[]): Promise<void> {
  const found = new Map<string, { org_id: string; status: string }>();
  for (let i = 0; i < userIds.length; i += 500) {
    const rows = await db
      .selectFrom('users')
      .select(['id', 'org_id', 'status'])
      .where('id', 'in', userIds.slice(i, i + 500))
      .execute();
    for (const r of rows) found.set(r.id, r);
  }
  const bad = userIds.filter((id) => {
    const u = found.get(id);
    return !u || u.org_id !== orgId || u.status !== 'active';
  });
  if (bad.length > 0) {
    throw new AppError(400, 'invalid_member', `A group chat can only include active people of your organization; not: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`);
  }
}

/**
 * Tells the members of a committed change: its conversation events, then its note. The change
 * is made whatever happens here, and the answer must say so: a failure to tell (the database
 * gone for a moment) is logged, and members learn of the change when they next load the chat
 * or reconnect.
 */
async function tellChange(ctx: AppContext, note: StoredNote, publish: () => Promise<void>): Promise<void> {
  // Messages committed before the change are told first (one node tells a chat in seq order).
  await messageWriter(ctx).published();
  try {
    await publish();
  } catch (err) {
    ctx.log.warn({ err, conversationId: note.message.conversationId }, 'publishing a group change failed');
  }
  publishMessageCreated(ctx, note.memberIds, note.message);
}

function checkIsGroup(row: Pick<ConversationRow, 'kind'>): void {
  if (row.kind !== 'group') throw conflict('not_a_group', 'A direct chat is always between the same two people; start a group chat to add others');
}

export async function doCreateGroup(ctx: AppContext, creator: UserWithOrg, input: { title: string; memberIds: readonly string[] }): Promise<Conversation> {
  const ids = [...new Set([creator.id, ...input.memberIds])];
  if (ids.length < 2) throw badRequest('A group chat needs at least one other member');
  if (ids.length > CONVERSATION_LIMITS.groupMembersMax) {
    throw badRequest(`A group chat starts with at most ${CONVERSATION_LIMITS.groupMembersMax} members, you included`);
  }
  await checkColleagues(ctx.db, creator.org_id, ids);
  const row = newConversationRow({ kind: 'group', org_id: creator.org_id, title: input.title, state: 'live', created_by: creator.id });
  const note = await ctx.db.transaction().execute(async (trx) => {
    await insertConversation(
      trx,
      row,
      ids.map((userId) => ({ userId, lastReadSeq: 0 })),
    );
    return doWriteSystemNote(trx, row.id, { action: 'created', actorId: creator.id, title: input.title, userIds: ids.filter((id) => id !== creator.id) });
  });
  await tellChange(ctx, note, () => publishConversation(ctx, row.id, 'conversation.created'));
  return getConversationFor(ctx, viewerOf(creator), row.id);
}

export async function doAddMembers(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, userIds: readonly string[]): Promise<Conversation> {
  checkIsGroup(conv);
  const ids = [...new Set(userIds)];
  // The answer is read while the change still holds the group: a removal of the actor queued
  // just behind it must not turn a change that was made into a 404.
  return withGroupLock(ctx, conv.id, async () => {
    await checkStillMember(ctx, conv.id, actor.id);
    await addMembersNow(ctx, actor, conv, ids);
    return getConversationFor(ctx, viewerOf(actor), conv.id);
  });
}

async function addMembersNow(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, ids: readonly string[]): Promise<void> {
  const done = await ctx.db.transaction().execute(async (trx) => {
    const locked = await lockConversation(trx, conv.id, ctx.dialect);
    if (!locked) throw notFound('Conversation');
    const current = await currentMemberIds(trx, conv.id);
    const already = new Set(current);
    const fresh = ids.filter((id) => !already.has(id));
    if (fresh.length === 0) return null;
    if (current.length + fresh.length > GROUP_MEMBERS_MAX) {
      throw badRequest(`A group chat has at most ${GROUP_MEMBERS_MAX} members`);
    }
    // Only the people new to the group must be active colleagues, decided here under the lock:
    // those already in it are left as they are, whatever their status now (adding them is a
    // no-op), and someone removed meanwhile is new again.
    await checkColleagues(trx, conv.org_id ?? actor.org_id, fresh);
    // Newcomers start with nothing unread but the note of their arrival: they see the history,
    // but are not flooded by it.
    await upsertMembers(trx, conv.id, fresh, locked.last_seq, nowIso());
    return { added: fresh, note: await doWriteSystemNote(trx, conv.id, { action: 'members_added', actorId: actor.id, userIds: fresh }) };
  });
  if (done) {
    await tellChange(ctx, done.note, () => publishConversation(ctx, conv.id, 'conversation.created', { onlyTo: new Set(done.added), otherType: 'conversation.updated' }));
  }
}

/** The actor of a group change may have been removed by the change that went just before it. */
async function checkStillMember(ctx: AppContext, conversationId: string, userId: string): Promise<void> {
  const row = await getMemberRow(ctx.db, conversationId, userId);
  if (!row || row.left_at) throw notFound('Conversation');
}

/** Removes a member (or the actor themselves: leaving). The removed person loses all access. */
export async function doRemoveMember(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, userId: string): Promise<void> {
  checkIsGroup(conv);
  await withGroupLock(ctx, conv.id, async () => {
    await checkStillMember(ctx, conv.id, actor.id);
    await removeMemberNow(ctx, actor, conv, userId);
  });
}

async function removeMemberNow(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, userId: string): Promise<void> {
  const done = await ctx.db.transaction().execute(async (trx) => {
    await lockConversation(trx, conv.id, ctx.dialect);
    const member = await getMemberRow(trx, conv.id, userId);
    if (!member || member.left_at) return null;
    await markMemberLeft(trx, conv.id, userId, nowIso());
    const user = await trx.selectFrom('users').select('org_id').where('id', '=', userId).executeTakeFirst();
    const note = await doWriteSystemNote(
      trx,
      conv.id,
      userId === actor.id ? { action: 'member_left', actorId: actor.id } : { action: 'member_removed', actorId: actor.id, userIds: [userId] },
    );
    return { removed: { userId, orgId: user?.org_id ?? '', lastReadSeq: member.last_read_seq }, note };
  });
  if (!done) throw notFound('Member');
  await tellChange(ctx, done.note, () => publishConversation(ctx, conv.id, 'conversation.updated', { extra: [done.removed] }));
}

export async function doRenameGroup(ctx: AppContext, actor: UserWithOrg, conv: ConversationRow, title: string): Promise<Conversation> {
  checkIsGroup(conv);
  return withGroupLock(ctx, conv.id, async () => {
    await checkStillMember(ctx, conv.id, actor.id);
    // The title as the change before this one left it: renaming to it changes nothing.
    const note = await ctx.db.transaction().execute(async (trx) => {
      const now = await lockConversation(trx, conv.id, ctx.dialect);
      if (!now || title === now.title) return null;
      await updateConversationFields(trx, conv.id, { title });
      return doWriteSystemNote(trx, conv.id, { action: 'renamed', actorId: actor.id, title });
    });
    if (note) await tellChange(ctx, note, () => publishConversation(ctx, conv.id, 'conversation.updated'));
    // Read while the group is still held (see doAddMembers).
    return getConversationFor(ctx, viewerOf(actor), conv.id);
  });
}
