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

export function conversationBadges(conv: Conversation, meId: string): Badge[] {
  const badges: Badge[] = [];
  const other = conv.kind === 'direct' ? otherParticipant(conv, meId) : undefined;
  if (other) {
    // A deleted person is a former member, never "external" (design.md rule 5).
    if (other.deleted || other.status === 'deleted') badges.push({ kind: 'former', label: other.orgName ? `Former member of ${other.orgName}` : 'Former member' });
    else if (other.pending || conv.state === 'pending') badges.push({ kind: 'pending', label: 'Pending invite' });
    else {
      if (other.external) badges.push({ kind: 'external', label: other.orgName ? `External · ${other.orgName}` : 'External' });
      if (other.status === 'deactivated') badges.push({ kind: 'inactive', label: 'Deactivated' });
    }
  }
  if (conv.state === 'request') badges.push(isIncomingRequest(conv, meId) ? { kind: 'request', label: 'Request' } : { kind: 'request-sent', label: 'Request sent' });
  if (conv.state === 'readonly') badges.push({ kind: 'readonly', label: 'Read-only' });
  if (conv.state === 'blocked') badges.push({ kind: 'blocked', label: 'Blocked' });
  if (conv.state === 'declined') badges.push({ kind: 'declined', label: 'Declined' });
  return badges;
}

/** Why the composer is closed, or null when one may write. */
export function writeBlock(conv: Conversation, meId: string): { message: string; reason?: string } | null {
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
  const mine = m.senderId === meId ? 'You: ' : '';
  const body = m.body.trim() || (m.files.length ? `📎 ${m.files.map((f) => f.name).join(', ')}` : '');
  return `${mine}${body.replace(/\s+/g, ' ')}`.slice(0, 140);
}
