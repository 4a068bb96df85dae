import { ACTIVITY_LIMITS, type ActivityEntry } from '../../shared/api/activity.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { AppContext } from '../context.js';
import { loadDeletedSeqs, loadLastMessages, unreadCount } from '../conversations/store.js';
import { Facts } from '../external/facts.js';
import { conversationViewFor } from '../external/rules.js';
import { encodeCursor, isCursorText, readCursor } from '../http/cursor.js';
import { badRequest } from '../http/errors.js';
import { chatRows, invitationRows, otherMembers, peopleByIds, RANK, requestRows, type FeedPosition, type PersonInfo } from './store.js';

/**
 * The Today feed: the viewer's direct chats, the invitations they sent and the message requests
 * they received, newest first. Every entry names its person by email, and its `actions` are
 * exactly "type this email" for a chat or a call (design.md rule 3), so an entry is a working
 * entry point in every client.
 */

type Person = ActivityEntry['person'];

function decodeCursor(s: string): FeedPosition {
  const v = readCursor(s);
  if (Array.isArray(v) && v.length === 3 && isCursorText(v[0]) && typeof v[1] === 'number' && isCursorText(v[2])) return { at: v[0], rank: v[1], id: v[2] };
  throw badRequest('Invalid cursor: pass the `next` value of the previous page');
}

/** Rule 5: a deleted person is a former member, never external. */
export function personLabel(p: PersonInfo, viewerOrgId: string): Person {
  const deleted = p.status === 'deleted';
  const external = !deleted && p.org_id !== viewerOrgId;
  return {
    userId: p.id,
    email: p.email,
    displayName: p.display_name,
    orgId: p.org_id,
    orgName: p.org_name,
    external,
    deleted,
    pending: false,
    ...(deleted ? { label: `Former member of ${p.org_name}` } : external ? { label: `External · ${p.org_name}` } : {}),
  };
}

function pendingPerson(email: string): Person {
  return { userId: null, email, displayName: email, orgId: null, orgName: null, external: true, deleted: false, pending: true, label: 'Invited · not on Parley yet' };
}

function actions(email: string): ActivityEntry['actions'] {
  return { message: { email }, call: { email } };
}

function newestFirst(a: FeedPosition, b: FeedPosition): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  if (a.rank !== b.rank) return b.rank - a.rank;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export async function listActivity(ctx: AppContext, viewer: UserWithOrg, q: { cursor?: string; limit?: number }): Promise<{ items: ActivityEntry[]; next?: string }> {
  const limit = q.limit ?? ACTIVITY_LIMITS.pageDefault;
  const pos = q.cursor ? decodeCursor(q.cursor) : null;
  const [chats, invitations, requests] = await Promise.all([
    chatRows(ctx.db, viewer.id, pos, limit + 1),
    invitationRows(ctx.db, viewer.id, pos, limit + 1),
    requestRows(ctx.db, viewer.id, pos, limit + 1),
  ]);

  type Draft =
    | { pos: FeedPosition; kind: 'chat'; row: (typeof chats)[number] }
    | { pos: FeedPosition; kind: 'invitation'; row: (typeof invitations)[number] }
    | { pos: FeedPosition; kind: 'request'; row: (typeof requests)[number] };
  const drafts: Draft[] = [
    ...chats.map((row): Draft => ({ pos: { at: row.last_activity_at, rank: RANK.chat, id: row.id }, kind: 'chat', row })),
    ...invitations.map((row): Draft => ({ pos: { at: row.at, rank: RANK.invitation, id: row.id }, kind: 'invitation', row })),
    ...requests.map((row): Draft => ({ pos: { at: row.created_at, rank: RANK.request, id: row.conversation_id }, kind: 'request', row })),
  ].sort((a, b) => newestFirst(a.pos, b.pos));

  const page = drafts.slice(0, limit);
  const pageChats = page.flatMap((d) => (d.kind === 'chat' ? [d.row] : []));
  const others = await otherMembers(ctx.db, pageChats.map((c) => c.id), viewer.id);
  const userIds = [
    ...others.values(),
    ...page.flatMap((d) => (d.kind === 'invitation' && d.row.accepted_user_id ? [d.row.accepted_user_id] : d.kind === 'request' ? [d.row.sender_id] : [])),
  ];
  const [people, lastMessages, deleted] = await Promise.all([
    peopleByIds(ctx.db, userIds),
    loadLastMessages(ctx.db, pageChats),
    loadDeletedSeqs(
      ctx.db,
      pageChats.map((c) => ({ id: c.id, after: c.last_read_seq, lastSeq: c.last_seq })),
    ),
  ]);
  const facts = new Facts(ctx.db);

  const items: ActivityEntry[] = [];
  for (const p of page) {
    const kind = p.kind;
    if (p.kind === 'chat') {
      const c = p.row;
      const otherId = others.get(c.id);
      const other = otherId ? people.get(otherId) : undefined;
      const person = other ? personLabel(other, viewer.org_id) : c.pending_email ? pendingPerson(c.pending_email) : null;
      if (!person) continue;
      const view = await conversationViewFor(ctx, c, viewer, facts);
      const last = lastMessages.get(c.id);
      items.push({
        id: `chat:${c.id}`,
        kind,
        at: p.pos.at,
        conversationId: c.id,
        state: view.state,
        person,
        preview: last ? (last.deleted_at ? '' : last.body.slice(0, 200)) : null,
        unreadCount: unreadCount(c.last_seq, c.last_read_seq, deleted.get(c.id)),
        actions: actions(person.email),
      });
    } else if (p.kind === 'invitation') {
      const i = p.row;
      const joined = i.accepted_user_id ? people.get(i.accepted_user_id) : undefined;
      const person = joined ? personLabel(joined, viewer.org_id) : pendingPerson(i.email_norm);
      items.push({
        id: `invitation:${i.id}`,
        kind,
        at: p.pos.at,
        conversationId: i.conversation_id,
        status: i.accepted_at ? 'accepted' : 'pending',
        person,
        actions: actions(person.email),
      });
    } else {
      const r = p.row;
      const sender = people.get(r.sender_id);
      if (!sender) continue;
      const person = personLabel(sender, viewer.org_id);
      items.push({
        id: `request:${r.conversation_id}`,
        kind,
        at: p.pos.at,
        conversationId: r.conversation_id,
        status: r.status,
        person,
        actions: actions(person.email),
      });
    }
  }
  const last = page[page.length - 1];
  return drafts.length > limit && last ? { items, next: encodeCursor([last.pos.at, last.pos.rank, last.pos.id]) } : { items };
}
