import { sql } from 'kysely';
import type { Executor } from '../context.js';
import type { ConversationMembersTable, ConversationsTable, MessagesTable } from '../db/schema.js';
import { newId, nowIso } from '../db/util.js';

/** Kysely queries for the conversations domain's tables. Only this domain writes them. */

export type ConversationRow = ConversationsTable;
export type MessageRow = MessagesTable;
export type MemberRow = ConversationMembersTable;

/** A member (current, or former when `left_at` is set) with what a participant shape needs. */
export interface MemberInfo {
  conversation_id: string;
  user_id: string;
  last_read_seq: number;
  left_at: string | null;
  email: string;
  display_name: string;
  org_id: string;
  org_name: string;
  status: string;
}

// Keeps every `IN (...)` list well under both databases' parameter limits.
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The key of a direct chat between two people: their ids sorted, joined by `:`. */
export function directKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export async function getConversationRow(db: Executor, id: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The open (live or request) direct chat between two people, if any. */
export async function findOpenDirectChat(db: Executor, key: string): Promise<ConversationRow | undefined> {
  return db.selectFrom('conversations').selectAll().where('direct_key', '=', key).where('state', 'in', ['live', 'request']).executeTakeFirst();
}

/** A new conversation's row: a fresh id, created and active now, no messages yet. */
export function newConversationRow(
  fields: Pick<ConversationRow, 'kind' | 'state' | 'created_by'> & Partial<Pick<ConversationRow, 'org_id' | 'title' | 'direct_key' | 'pending_email'>>,
): ConversationRow {
  const now = nowIso();
  return {
    id: newId(),
    org_id: null,
    title: null,
    direct_key: null,
    pending_email: null,
    ...fields,
    created_at: now,
    last_seq: 0,
    last_activity_at: now,
  };
}

export async function insertConversation(db: Executor, row: ConversationRow, members: { userId: string; lastReadSeq: number }[]): Promise<void> {
  await db.insertInto('conversations').values(row).execute();
  for (const part of chunks(members)) {
    await db
      .insertInto('conversation_members')
      .values(part.map((m) => ({ conversation_id: row.id, user_id: m.userId, joined_at: row.created_at, left_at: null, last_read_seq: m.lastReadSeq })))
      .execute();
  }
}

/**
 * Members of many conversations, current and former (people who left or were removed, with
 * `left_at`), with their user and org, in one query per chunk.
 */
export async function loadMembers(db: Executor, conversationIds: readonly string[]): Promise<Map<string, MemberInfo[]>> {
  const out = new Map<string, MemberInfo[]>();
  for (const id of conversationIds) out.set(id, []);
  for (const part of chunks([...new Set(conversationIds)])) {
    const rows = await db
      .selectFrom('conversation_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .innerJoin('orgs as o', 'o.id', 'u.org_id')
      .select(['m.conversation_id', 'm.user_id', 'm.last_read_seq', 'm.left_at', 'u.email', 'u.display_name', 'u.org_id', 'o.name as org_name', 'u.status'])
      .where('m.conversation_id', 'in', part)
      .orderBy('m.conversation_id')
      .orderBy('m.joined_at')
      .orderBy('m.user_id')
      .execute();
    for (const r of rows) out.get(r.conversation_id)!.push(r);
  }
  return out;
}

/** Ids of the current members of one conversation. */
export async function currentMemberIds(db: Executor, conversationId: string): Promise<string[]> {
  const rows = await db.selectFrom('conversation_members').select('user_id').where('conversation_id', '=', conversationId).where('left_at', 'is', null).execute();
  return rows.map((r) => r.user_id);
}

/**
 * For sends into message requests: of each (conversation, sender), whether the conversation is
 * still a request opened by that sender (or a pending chat of theirs, which the send check holds
 * to a request's limit when it will become one) and, if so, how many messages they have stored in
 * it. Keyed `conversationId\0senderId`; a pair that is neither is absent.
 */
export async function openRequestSends(db: Executor, pairs: readonly { conversationId: string; senderId: string }[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const p of pairs) {
    const key = `${p.conversationId}\u0000${p.senderId}`;
    if (out.has(key)) continue;
    const conv = await db.selectFrom('conversations').select(['state', 'created_by']).where('id', '=', p.conversationId).executeTakeFirst();
    if ((conv?.state !== 'request' && conv?.state !== 'pending') || conv.created_by !== p.senderId) continue;
    const r = await db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('conversation_id', '=', p.conversationId)
      .where('sender_id', '=', p.senderId)
      .executeTakeFirstOrThrow();
    out.set(key, Number(r.n));
  }
  return out;
}

/** Ids of the current members of many conversations (the message writer's fan-out). */
export async function currentMemberIdsOf(db: Executor, conversationIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const id of conversationIds) out.set(id, []);
  for (const part of chunks([...new Set(conversationIds)])) {
    const rows = await db
      .selectFrom('conversation_members')
      .select(['conversation_id', 'user_id'])
      .where('conversation_id', 'in', part)
      .where('left_at', 'is', null)
      .execute();
    for (const r of rows) out.get(r.conversation_id)!.push(r.user_id);
  }
  return out;
}

/** The last message of each conversation (by its `last_seq`), in one query per chunk. */
export async function loadLastMessages(db: Executor, convs: readonly Pick<ConversationRow, 'id' | 'last_seq'>[]): Promise<Map<string, MessageRow>> {
  const out = new Map<string, MessageRow>();
  const withMessages = convs.filter((c) => c.last_seq > 0);
  for (const part of chunks(withMessages)) {
    const rows = await db
      .selectFrom('messages')
      .innerJoin('conversations as c', (j) => j.onRef('c.id', '=', 'messages.conversation_id').onRef('c.last_seq', '=', 'messages.seq'))
      .selectAll('messages')
      .where(
        'messages.conversation_id',
        'in',
        part.map((c) => c.id),
      )
      .execute();
    for (const r of rows) out.set(r.conversation_id, r);
  }
  return out;
}

/**
 * The seqs of each chat's deleted messages above a read cursor (`after`) and up to its last
 * message: they are not unread. Chats read to the end cost nothing; the others one probe of a
 * partial index that holds deleted messages only.
 */
export async function loadDeletedSeqs(db: Executor, chats: readonly { id: string; after: number; lastSeq: number }[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const unread = chats.filter((c) => c.lastSeq > c.after);
  for (const part of chunks(unread)) {
    const floor = Math.min(...part.map((c) => c.after));
    const rows = await db
      .selectFrom('messages')
      .select(['conversation_id', 'seq'])
      .where(
        'conversation_id',
        'in',
        part.map((c) => c.id),
      )
      .where('deleted_at', 'is not', null)
      .where('seq', '>', floor)
      .execute();
    for (const r of rows) {
      const list = out.get(r.conversation_id);
      if (list) list.push(r.seq);
      else out.set(r.conversation_id, [r.seq]);
    }
  }
  return out;
}

/** Messages above `readSeq` and up to `lastSeq`, less the deleted ones among them. */
export function unreadCount(lastSeq: number, readSeq: number, deletedSeqs: readonly number[] = []): number {
  const cursor = Math.min(readSeq, lastSeq);
  let deleted = 0;
  for (const s of deletedSeqs) if (s > cursor && s <= lastSeq) deleted++;
  return Math.max(0, lastSeq - cursor - deleted);
}

export interface ListCursor {
  at: string;
  id: string;
}

/**
 * The chats a user is a current member of, each with the user's read cursor: the base of the chat
 * list here and of the activity feed's chats (which narrows and pages it its own way).
 */
export function memberConversationsQuery(db: Executor, userId: string) {
  return db
    .selectFrom('conversation_members as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .selectAll('c')
    .select('m.last_read_seq')
    .where('m.user_id', '=', userId)
    .where('m.left_at', 'is', null);
}

/** A page of a user's chats, most recent activity first, from a keyset cursor. */
export async function listMemberConversations(
  db: Executor,
  userId: string,
  cursor: ListCursor | null,
  limit: number,
): Promise<(ConversationRow & { last_read_seq: number })[]> {
  let q = memberConversationsQuery(db, userId);
  if (cursor) {
    q = q.where((eb) => eb.or([eb('c.last_activity_at', '<', cursor.at), eb.and([eb('c.last_activity_at', '=', cursor.at), eb('c.id', '<', cursor.id)])]));
  }
  return q.orderBy('c.last_activity_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
}

/** A member row whether or not the person has left. */
export async function getMemberRow(db: Executor, conversationId: string, userId: string): Promise<MemberRow | undefined> {
  return db.selectFrom('conversation_members').selectAll().where('conversation_id', '=', conversationId).where('user_id', '=', userId).executeTakeFirst();
}

/**
 * Takes the conversation's row lock (PostgreSQL) so membership changes and the message writer
 * serialize per conversation; SQLite has one writer at a time anyway.
 */
export async function lockConversation(db: Executor, id: string, dialect: 'sqlite' | 'postgres'): Promise<ConversationRow | undefined> {
  if (dialect === 'postgres') {
    return db.selectFrom('conversations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }
  return getConversationRow(db, id);
}

/** Adds people to a conversation, or brings back those who had left; their unread starts at zero. */
export async function upsertMembers(db: Executor, conversationId: string, userIds: readonly string[], lastSeq: number, now: string): Promise<void> {
  for (const part of chunks(userIds)) {
    await db
      .insertInto('conversation_members')
      .values(part.map((id) => ({ conversation_id: conversationId, user_id: id, joined_at: now, left_at: null, last_read_seq: lastSeq })))
      .onConflict((oc) =>
        oc.columns(['conversation_id', 'user_id']).doUpdateSet({
          joined_at: now,
          left_at: null,
          last_read_seq: sql<number>`CASE WHEN conversation_members.last_read_seq > ${lastSeq} THEN conversation_members.last_read_seq ELSE ${lastSeq} END`,
        }),
      )
      .execute();
  }
}

export async function markMemberLeft(db: Executor, conversationId: string, userId: string, now: string): Promise<boolean> {
  const r = await db
    .updateTable('conversation_members')
    .set({ left_at: now })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .where('left_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function updateConversationFields(db: Executor, id: string, fields: Partial<Pick<ConversationRow, 'title' | 'state' | 'last_activity_at' | 'direct_key'>>): Promise<void> {
  await db.updateTable('conversations').set(fields).where('id', '=', id).execute();
}

/** Moves a member's read cursor forward only; answers the cursor after the move. */
export async function advanceReadCursor(db: Executor, conversationId: string, userId: string, seq: number): Promise<{ moved: boolean }> {
  const r = await db
    .updateTable('conversation_members')
    .set({ last_read_seq: seq })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .where('last_read_seq', '<', seq)
    .executeTakeFirst();
  return { moved: Number(r.numUpdatedRows) > 0 };
}
