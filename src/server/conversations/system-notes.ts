import type { SystemNote } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/util.js';
import { messageWriter } from './writer.js';

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

/**
 * Writes the note of a change that has committed. A note that cannot be stored is logged, not
 * thrown: the change it describes is done, and the caller's answer must say so.
 */
export async function doWriteSystemNote(ctx: AppContext, conversationId: string, full: SystemNote): Promise<void> {
  const count = full.userIds?.length ?? 0;
  const note: SystemNote = count > NOTE_IDS_MAX ? { ...full, userIds: full.userIds!.slice(0, NOTE_IDS_MAX), userCount: count } : full;
  try {
    const ids = [...new Set([note.actorId, ...(note.userIds ?? []).slice(0, NAMED + 1)])];
    const rows = await ctx.db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', ids).execute();
    const names = new Map(rows.map((r) => [r.id, r.display_name]));
    const body = describeNote(note, (id) => names.get(id) ?? 'Someone');
    await messageWriter(ctx).submit({ conversationId, senderId: note.actorId, clientId: `system-${newId()}`, body, fileIds: [], system: JSON.stringify(note) });
  } catch (err) {
    ctx.log.warn({ err, conversationId, action: note.action }, 'writing a group note failed');
  }
}
