import { withoutBidiControls } from './links.js';
import type { Conversation, Participant } from '../../../src/shared/api/shapes.js';

/** How a chat is shown in lists and headers: title, badges, whether one may write. */

export type BadgeKind = 'external' | 'pending' | 'request' | 'request-sent' | 'former' | 'readonly' | 'blocked' | 'declined' | 'inactive';
export interface Badge {
  kind: BadgeKind;
  label: string;
}

/** The other person of a direct chat (the first participant that is not me). */
export function otherParticipant(conv: Conversation, meId: string): Participant | undefined {
  return conv.participants.find((p) => p.userId !== meId) ?? undefined;
}

export function participantName(p: Participant): string {
  if (p.pending || !p.displayName) return p.email;
  return p.displayName;
}

export function conversationTitle(conv: Conversation, meId: string): string {
  if (conv.kind === 'group') return conv.title || conv.participants.filter((p) => p.userId !== meId).map(participantName).join(', ') || 'Group';
  const other = otherParticipant(conv, meId);
  return other ? participantName(other) : 'Just you';
}

export function isIncomingRequest(conv: Conversation, meId: string): boolean {
  return conv.state === 'request' && conv.createdBy !== meId;
}

/**
 * How a person is described next to their name. The server's `label` wins (it knows the rules of
 * this moment); the local wording covers answers without one.
 */
export function participantLabel(p: Participant): string | null {
  if (p.label && p.label.trim()) return p.label;
  // A deleted person is a former member, never "external" (design.md rule 5).
  if (p.deleted || p.status === 'deleted') return p.orgName ? `Former member of ${p.orgName}` : 'Former member';
  if (p.pending) return 'Pending invite';
  if (p.external) return p.orgName ? `External · ${p.orgName}` : 'External';
  return null;
}

/** The badges of one person (a direct chat's other side, or a row of a group's member list). */
export function participantBadges(p: Participant): Badge[] {
  const label = participantLabel(p);
  const badges: Badge[] = [];
  if (p.deleted || p.status === 'deleted') badges.push({ kind: 'former', label: label ?? 'Former member' });
  else if (p.pending) badges.push({ kind: 'pending', label: label ?? 'Pending invite' });
  else {
    if (p.external && label) badges.push({ kind: 'external', label });
    if (p.status === 'deactivated') badges.push({ kind: 'inactive', label: 'Deactivated' });
  }
  return badges;
}

export function conversationBadges(conv: Conversation, meId: string): Badge[] {
  const badges: Badge[] = [];
  const other = conv.kind === 'direct' ? otherParticipant(conv, meId) : undefined;
  if (other) {
    const own = participantBadges(other);
    // A pending chat whose invitee record is missing still reads as pending.
    if (!own.length && conv.state === 'pending') own.push({ kind: 'pending', label: 'Pending invite' });
    badges.push(...own);
  }
  if (conv.state === 'request') badges.push(isIncomingRequest(conv, meId) ? { kind: 'request', label: 'Request' } : { kind: 'request-sent', label: 'Request sent' });
  if (conv.state === 'readonly') badges.push({ kind: 'readonly', label: 'Read-only' });
  if (conv.state === 'blocked') badges.push({ kind: 'blocked', label: 'Blocked' });
  if (conv.state === 'declined') badges.push({ kind: 'declined', label: 'Declined' });
  return badges;
}

/** Whether I am a current member (the server stops listing people who left or were removed). */
export function isMember(conv: Conversation, meId: string): boolean {
  return conv.participants.some((p) => p.userId === meId);
}

export function memberCountText(conv: Conversation): string {
  const n = conv.participants.filter((p) => p.userId).length;
  return n === 1 ? '1 member' : `${n} members`;
}

/** A direct chat someone else started that I blocked: only I can unblock it. */
export function blockedByMe(conv: Conversation, meId: string): boolean {
  return conv.kind === 'direct' && conv.state === 'blocked' && !!conv.createdBy && conv.createdBy !== meId;
}

/** A request I declined: accepting it later undoes the decline. */
export function declinedByMe(conv: Conversation, meId: string): boolean {
  return conv.kind === 'direct' && conv.state === 'declined' && !!conv.createdBy && conv.createdBy !== meId;
}

/** Why the composer is closed, or null when one may write. */
export function writeBlock(conv: Conversation, meId: string): { message: string; reason?: string } | null {
  if (conv.state === 'declined' && !conv.reasonMessage) {
    return { message: declinedByMe(conv, meId) ? 'You declined this message request. Accept it to reply.' : 'This person declined your message request.' };
  }
  if (conv.state === 'readonly' || conv.state === 'blocked' || conv.state === 'declined') {
    return { message: conv.reasonMessage ?? '', ...(conv.reason ? { reason: conv.reason } : {}) };
  }
  if (isIncomingRequest(conv, meId)) return { message: 'Accept the request to reply.' };
  const other = conv.kind === 'direct' ? otherParticipant(conv, meId) : undefined;
  if (other && (other.deleted || other.status === 'deleted')) return { message: 'This person is no longer a member. The history stays readable.' };
  return null;
}

/** Newest activity first; ties broken by id so the order is stable. */
export function sortConversations(list: Conversation[]): Conversation[] {
  return [...list].sort((a, b) => {
    const at = a.lastMessage?.createdAt ?? a.lastActivityAt;
    const bt = b.lastMessage?.createdAt ?? b.lastActivityAt;
    if (at !== bt) return at < bt ? 1 : -1;
    return a.id < b.id ? -1 : 1;
  });
}

export function totalUnread(list: Iterable<Conversation>): number {
  let n = 0;
  for (const c of list) n += Math.max(0, c.unreadCount);
  return n;
}

export function lastMessagePreview(conv: Conversation, meId: string): string {
  const m = conv.lastMessage;
  if (!m) return conv.state === 'pending' ? 'Invitation pending' : 'No messages yet';
  if (m.deletedAt) return 'Message deleted';
  // A note about the group already says who did it ("Ann added Bob").
  if (m.system) return withoutBidiControls(m.body).replace(/\s+/g, ' ').slice(0, 140);
  const sender = conv.kind === 'group' && m.senderId !== meId ? conv.participants.find((p) => p.userId === m.senderId) : undefined;
  // In a group, whose message it is matters as much as what it says.
  const mine = m.senderId === meId ? 'You: ' : sender ? `${participantName(sender).split(/\s+/)[0]}: ` : '';
  const body = m.body.trim() || (m.files.length ? `📎 ${m.files.map((f) => f.name).join(', ')}` : '');
  // As in the message itself: direction overrides would make "fdp.exe" read as "exe.pdf".
  return `${mine}${withoutBidiControls(body).replace(/\s+/g, ' ')}`.slice(0, 140);
}
