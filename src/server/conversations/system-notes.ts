import type { Message, SystemNote } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import { presentMessage } from './present.js';
import { advanceReadCursor, currentMemberIds, type MessageRow } from './store.js';

/**
 * Notes the server writes into a group when it is made or changes ("Ann created the group
 * “Launch” with Bob and Cat", "Ann added Dan", "Bob left"), so every member sees in the timeline
 * who changed what, as in any team chat. A note is a message: it takes the next seq (catch-up,
 * unread counts and the chat list need nothing new), it is in the name of whoever made the
 * change, its `system` field says what happened for clients that draw it, and its body says it in
 * words for those that only show text. Nobody can edit or delete it.
 */

/** How many names a note spells out before "and N others". */
const NAMED = 3;
/**
 * How many ids a note keeps in `system.userIds`; past it, `userCount` says how many there were.
 * A group can start with 1,000 people: every history page and every member's event would
 * otherwise carry all their ids (about 30 KB) for a line that names three.
 */
export const NOTE_IDS_MAX = 50;

export function describeNote(note: SystemNote, nameOf: (userId: string) => string): string {
  const actor = nameOf(note.actorId);
  const ids = note.userIds ?? [];
  const people = () => nameList(ids.slice(0, NAMED).map(nameOf), Math.max(note.userCount ?? 0, ids.length));
  switch (note.action) {
    case 'created':
      return `${actor} created the group “${note.title ?? ''}”${ids.length > 0 ? ` with ${people()}` : ''}`;
    case 'members_added':
      return `${actor} added ${people()}`;
    case 'member_removed':
      return `${actor} removed ${people()}`;
    case 'member_left':
      return `${actor} left the group`;
    case 'renamed':
      return `${actor} renamed the group to “${note.title ?? ''}”`;
  }
}

/** The first names (at most NAMED of them) of `total` people, in words. */
function nameList(names: string[], total: number): string {
  if (total <= 1) return names[0] ?? 'nobody';
  if (total <= NAMED) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const rest = total - NAMED;
  return `${names.join(', ')} and ${rest} ${rest === 1 ? 'other' : 'others'}`;
}

/** A note stored with its change, to be told once the change has committed. */
export interface StoredNote {
  message: Message;
  memberIds: string[];
}

/**
 * Writes the note of a group change in the change's own transaction: the change and its note
 * are stored together or not at all, so the timeline never lacks a change that was made, or
 * tells one that was not. The caller has locked the conversation (PostgreSQL), as the message
 * writer's batches do, so the seq taken here is the next one whichever node sends meanwhile.
 * The author's read cursor moves to the note, as it does for any message they send.
 */
export async function doWriteSystemNote(trx: Executor, conversationId: string, full: SystemNote): Promise<StoredNote> {
  const count = full.userIds?.length ?? 0;
  const note: SystemNote = count > NOTE_IDS_MAX ? { ...full, userIds: full.userIds!.slice(0, NOTE_IDS_MAX), userCount: count } : full;
  const ids = [...new Set([note.actorId, ...(note.userIds ?? []).slice(0, NAMED + 1)])];
  const rows = await trx.selectFrom('users').select(['id', 'display_name']).where('id', 'in', ids).execute();
  const names = new Map(rows.map((r) => [r.id, r.display_name]));
  const now = nowIso();
  const bumped = await trx
    .updateTable('conversations')
    .set((eb) => ({ last_seq: eb('last_seq', '+', 1), last_activity_at: now }))
    .where('id', '=', conversationId)
    .returning('last_seq')
    .executeTakeFirstOrThrow();
  const row: MessageRow = {
    id: newId(),
    conversation_id: conversationId,
    seq: Number(bumped.last_seq),
    sender_id: note.actorId,
    client_id: `system-${newId()}`,
    body: describeNote(note, (id) => names.get(id) ?? 'Someone'),
    created_at: now,
    edited_at: null,
    deleted_at: null,
    system: JSON.stringify(note),
  };
  await trx.insertInto('messages').values(row).execute();
  await advanceReadCursor(trx, conversationId, note.actorId, row.seq);
  return { message: presentMessage({ ...row, change_seq: 0 }), memberIds: await currentMemberIds(trx, conversationId) };
}
