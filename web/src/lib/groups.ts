import { CONVERSATION_LIMITS } from '../../../src/shared/api/conversations.js';
import type { DirectoryEntry } from '../../../src/shared/api/directory.js';
import type { Conversation, Participant } from '../../../src/shared/api/shapes.js';
import { participantName } from './conversations.js';

/** Group chats: the rules the forms check before the server does (it checks again). */

export const GROUP_TITLE_MAX = CONVERSATION_LIMITS.titleMax;

/** What is wrong with a title as typed, or null when it will do. */
export function titleError(title: string): string | null {
  const t = title.trim();
  if (!t) return 'Give the group a title.';
  if (t.length > GROUP_TITLE_MAX) return `A title has at most ${GROUP_TITLE_MAX} characters.`;
  if (t.includes('\u0000')) return 'A title cannot contain that character.';
  return null;
}

/** Someone picked for a group: enough to show them and send their id. */
export interface Pick {
  userId: string;
  displayName: string;
  email: string;
}

export function pickOf(e: DirectoryEntry): Pick {
  return { userId: e.userId, displayName: e.displayName, email: e.email };
}

/**
 * Who of a directory answer may join a group: active people of my own org (group chats never
 * cross orgs), not me, not already in it.
 */
export function colleagueCandidates(items: readonly DirectoryEntry[], meId: string, exclude: ReadonlySet<string> = new Set()): DirectoryEntry[] {
  return items.filter((e) => !e.external && e.status === 'active' && e.userId !== meId && !exclude.has(e.userId));
}

/** Why a directory answer gave no one to pick, in words. */
export function noCandidateText(items: readonly DirectoryEntry[], meId: string, exclude: ReadonlySet<string>): string {
  if (items.some((e) => e.external)) return 'Group chats are for people of your own organization.';
  if (items.some((e) => exclude.has(e.userId))) return 'Already in this group.';
  if (items.some((e) => e.userId !== meId && e.status !== 'active')) return 'This person’s account is not active.';
  return 'No colleague by that name.';
}

export function togglePick(list: readonly Pick[], p: Pick): Pick[] {
  return list.some((x) => x.userId === p.userId) ? list.filter((x) => x.userId !== p.userId) : [...list, p];
}

export function canCreateGroup(title: string, picked: readonly Pick[]): boolean {
  return titleError(title) === null && picked.length >= 1;
}

function rank(p: Participant, meId: string): number {
  if (p.userId === meId) return 0;
  if (p.deleted || p.status === 'deleted') return 3;
  if (p.status === 'deactivated') return 2;
  return 1;
}

/** The member list: me first, then active people by name, then inactive and former members. */
export function sortMembers(conv: Conversation, meId: string): Participant[] {
  return conv.participants
    .filter((p) => p.userId)
    .sort((a, b) => rank(a, meId) - rank(b, meId) || participantName(a).localeCompare(participantName(b)) || a.email.localeCompare(b.email));
}

/** Who can still be removed: everyone current but me (leaving is its own action). */
export function removable(p: Participant, meId: string): boolean {
  return !!p.userId && p.userId !== meId;
}
