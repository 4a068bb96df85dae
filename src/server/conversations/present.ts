import { SystemNote, type Conversation, type ConversationState, type FileInfo, type Message, type Participant, type UserStatus } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { loadMessageFiles } from './attachments.js';
import { loadDeletedSeqs, loadLastMessages, loadMembers, unreadCount, type ConversationRow, type MemberInfo, type MessageRow } from './store.js';

/**
 * The one presenter of conversations and messages: REST answers and realtime events are built
 * here, so an event carries exactly what the matching GET answers.
 */

export function presentMessage(row: MessageRow, files: FileInfo[] = []): Message {
  const system = row.system ? parseSystemNote(row.system) : undefined;
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    clientId: row.client_id,
    senderId: row.sender_id,
    body: row.body,
    // A tombstone keeps no files, whatever is still linked.
    files: row.deleted_at ? [] : files,
    createdAt: row.created_at,
    editedAt: row.edited_at,
    deletedAt: row.deleted_at,
    changeSeq: row.change_seq ?? 0,
    ...(system ? { system } : {}),
  };
}

function parseSystemNote(text: string): SystemNote | undefined {
  try {
    const r = SystemNote.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Messages with their files, loaded in one call. `withFiles`: when the caller knows which of the
 * rows have files at all, only those are looked up (none: no query).
 */
export async function presentMessages(db: Executor, rows: readonly MessageRow[], withFiles?: ReadonlySet<string>): Promise<Message[]> {
  const ids = withFiles ? rows.filter((r) => withFiles.has(r.id)).map((r) => r.id) : rows.map((r) => r.id);
  const files = ids.length > 0 ? await loadMessageFiles(db, ids) : new Map<string, FileInfo[]>();
  return rows.map((r) => presentMessage(r, files.get(r.id)));
}

/** Who is looking: labels (external) and read state depend on the viewer. */
export interface Viewer {
  userId: string;
  orgId: string;
}

export function presentParticipant(m: MemberInfo, viewerOrgId: string): Participant {
  const deleted = m.status === 'deleted';
  return {
    userId: m.user_id,
    email: m.email,
    displayName: m.display_name,
    orgId: m.org_id,
    orgName: m.org_name,
    // design.md rule 5: a deleted person is a former member, never "external".
    external: !deleted && m.org_id !== viewerOrgId,
    deleted,
    pending: false,
    status: m.status as UserStatus,
    ...(m.left_at ? {} : { lastReadSeq: m.last_read_seq }),
  };
}

function pendingParticipant(emailNorm: string): Participant {
  return { userId: null, email: emailNorm, displayName: emailNorm, orgId: null, orgName: null, external: true, deleted: false, pending: true, status: null };
}

/**
 * A conversation as `viewer` sees it. `members` are its members, current and former (a group
 * lists the people who left as `formerParticipants`, so their messages keep a name);
 * `lastReadSeq` is the viewer's cursor (passed separately so a person who was just removed can
 * still be told).
 * unreadCount is `lastSeq - lastReadSeq` less the deleted messages among them (`deletedSeqs`,
 * those above the cursor): sending moves the sender's own cursor to their message, so everything
 * above the cursor was written by someone else.
 */
/** What of a conversation is one member's own: their cursor and what is unread above it. */
export function readStateOf(row: Pick<ConversationRow, 'last_seq'>, lastReadSeq: number, deletedSeqs: readonly number[] = []): { lastReadSeq: number; unreadCount: number } {
  const readSeq = Math.min(lastReadSeq, row.last_seq);
  return { lastReadSeq: readSeq, unreadCount: unreadCount(row.last_seq, readSeq, deletedSeqs) };
}

export function presentConversation(
  row: ConversationRow,
  viewer: Viewer,
  members: readonly MemberInfo[],
  lastMessage: Message | null,
  lastReadSeq: number,
  deletedSeqs: readonly number[] = [],
): Conversation {
  const participants = members.filter((m) => !m.left_at).map((m) => presentParticipant(m, viewer.orgId));
  if (row.state === 'pending' && row.pending_email) participants.push(pendingParticipant(row.pending_email));
  const former = row.kind === 'group' ? members.filter((m) => m.left_at).map((m) => presentParticipant(m, viewer.orgId)) : [];
  const read = readStateOf(row, lastReadSeq, deletedSeqs);
  return {
    ...(former.length > 0 ? { formerParticipants: former } : {}),
    id: row.id,
    kind: row.kind as 'direct' | 'group',
    title: row.title,
    state: row.state as ConversationState,
    participants,
    lastMessage,
    unreadCount: read.unreadCount,
    lastSeq: row.last_seq,
    lastChangeSeq: row.last_change_seq ?? 0,
    lastReadSeq: read.lastReadSeq,
    lastActivityAt: row.last_activity_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

/**
 * Many conversations for one viewer with a fixed number of queries (members, last messages,
 * their files), whatever the number of conversations: the chat list has no N+1.
 */
export async function loadConversationViews(db: Executor, viewer: Viewer, rows: readonly (ConversationRow & { last_read_seq: number })[]): Promise<Conversation[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [members, lastRows, deleted] = await Promise.all([
    loadMembers(db, ids),
    loadLastMessages(db, rows),
    loadDeletedSeqs(
      db,
      rows.map((r) => ({ id: r.id, after: r.last_read_seq, lastSeq: r.last_seq })),
    ),
  ]);
  const lastMessages = new Map((await presentMessages(db, [...lastRows.values()])).map((m) => [m.conversationId, m]));
  return rows.map((r) => presentConversation(r, viewer, members.get(r.id) ?? [], lastMessages.get(r.id) ?? null, r.last_read_seq, deleted.get(r.id)));
}

/** One member's (or just-removed person's) place in a conversation, for `conversation.*` events. */
export interface EventViewer {
  userId: string;
  orgId: string;
  read: { lastReadSeq: number; unreadCount: number };
}

/**
 * A conversation as its current members see it (for `conversation.*` events), plus extra viewers
 * (people just removed) told with their own last cursor. What everyone of one org sees alike is
 * presented once (`shared`, by org); each viewer adds only their read state. A group of 1,000
 * would otherwise cost a million participant entries for one change.
 */
export async function presentForEveryone(
  db: Executor,
  row: ConversationRow,
  extra: readonly { userId: string; orgId: string; lastReadSeq: number }[] = [],
): Promise<{ shared: Map<string, Conversation>; viewers: EventViewer[] }> {
  const [members, lastRows] = await Promise.all([loadMembers(db, [row.id]), loadLastMessages(db, [row])]);
  const list = members.get(row.id) ?? [];
  const last = lastRows.get(row.id);
  const lastMessage = last ? (await presentMessages(db, [last]))[0]! : null;
  const current = list.filter((m) => !m.left_at);
  const lowest = Math.min(row.last_seq, ...current.map((m) => m.last_read_seq), ...extra.map((e) => e.lastReadSeq));
  const deleted = (await loadDeletedSeqs(db, [{ id: row.id, after: lowest, lastSeq: row.last_seq }])).get(row.id);
  const everyone = [...current.map((m) => ({ userId: m.user_id, orgId: m.org_id, lastReadSeq: m.last_read_seq })), ...extra];
  const shared = new Map<string, Conversation>();
  for (const v of everyone) {
    if (!shared.has(v.orgId)) shared.set(v.orgId, presentConversation(row, { userId: v.userId, orgId: v.orgId }, list, lastMessage, 0, deleted));
  }
  return { shared, viewers: everyone.map((v) => ({ userId: v.userId, orgId: v.orgId, read: readStateOf(row, v.lastReadSeq, deleted) })) };
}
