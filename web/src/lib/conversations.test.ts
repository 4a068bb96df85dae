import { describe, expect, it } from 'vitest';
import type { Conversation, Participant } from '../../../src/shared/api/shapes.js';
import { blockedByMe, conversationBadges, conversationTitle, declinedByMe, isMember, lastMessagePreview, memberCountText, participantBadges, participantLabel, sortConversations, totalUnread, writeBlock } from './conversations.js';
import { conversationFixture } from './test-fixtures.js';

const ME = 'me';

function person(over: Partial<Participant> = {}): Participant {
  return { userId: 'them', email: 'them@b.example', displayName: 'Them', orgId: 'o2', orgName: 'Beta Co', external: false, deleted: false, pending: false, status: 'active', ...over };
}

function conv(other: Participant, over: Partial<Conversation> = {}): Conversation {
  return conversationFixture(ME, {
    id: 'c',
    participants: [person({ userId: ME, email: 'me@a.example', displayName: 'Me', orgId: 'o1', orgName: 'Alpha' }), other],
    ...over,
  });
}

const labels = (c: Conversation) => conversationBadges(c, ME).map((b) => b.label);

describe('conversation display', () => {
  it('labels an external person with their org', () => {
    expect(labels(conv(person({ external: true })))).toEqual(['External · Beta Co']);
    expect(conversationTitle(conv(person({ external: true })), ME)).toBe('Them');
  });

  it('shows a deleted person as a former member, never as external', () => {
    expect(labels(conv(person({ external: true, deleted: true, status: 'deleted' })))).toEqual(['Former member of Beta Co']);
    expect(writeBlock(conv(person({ deleted: true, status: 'deleted' })), ME)?.message).toMatch(/no longer a member/);
  });

  it('shows a pending invitee by email', () => {
    const c = conv(person({ userId: null, pending: true, displayName: '', status: null, orgName: null }), { state: 'pending' });
    expect(labels(c)).toEqual(['Pending invite']);
    expect(conversationTitle(c, ME)).toBe('them@b.example');
    expect(lastMessagePreview(c, ME)).toBe('Invitation pending');
  });

  it('tells an incoming request from one I sent', () => {
    const incoming = conv(person({ external: true }), { state: 'request', createdBy: 'them' });
    const outgoing = conv(person({ external: true }), { state: 'request', createdBy: ME });
    expect(labels(incoming)).toContain('Request');
    expect(writeBlock(incoming, ME)).not.toBeNull();
    expect(labels(outgoing)).toContain('Request sent');
    expect(writeBlock(outgoing, ME)).toBeNull();
  });

  it('closes the composer of a read-only chat with its reason', () => {
    const c = conv(person({ external: true }), { state: 'readonly', reason: 'stage_off', reasonMessage: 'Switched off.' });
    expect(labels(c)).toContain('Read-only');
    expect(writeBlock(c, ME)).toEqual({ message: 'Switched off.', reason: 'stage_off' });
  });

  it('sorts by latest activity and sums unread counts', () => {
    const a = conv(person(), { id: 'a', unreadCount: 2, lastActivityAt: '2024-01-02T00:00:00.000Z' });
    const b = conv(person(), { id: 'b', unreadCount: 3, lastActivityAt: '2024-01-03T00:00:00.000Z' });
    expect(sortConversations([a, b]).map((c) => c.id)).toEqual(['b', 'a']);
    expect(totalUnread([a, b])).toBe(5);
  });

  it('previews my own last message and deleted ones', () => {
    const m = { id: 'm', conversationId: 'c', seq: 1, clientId: 'x', senderId: ME, body: 'hi\nthere', files: [], createdAt: '2024-01-01T00:00:00.000Z', changeSeq: 0 };
    expect(lastMessagePreview(conv(person(), { lastMessage: m }), ME)).toBe('You: hi there');
    expect(lastMessagePreview(conv(person(), { lastMessage: { ...m, deletedAt: '2024-01-02T00:00:00.000Z' } }), ME)).toBe('Message deleted');
  });

  it('previews without direction overrides, as the message itself is shown', () => {
    const m = { id: 'm', conversationId: 'c', seq: 1, clientId: 'x', senderId: 'them', body: 'Invoice for you: \u202efdp.exe', files: [], createdAt: '2024-01-01T00:00:00.000Z', changeSeq: 0 };
    expect(lastMessagePreview(conv(person(), { lastMessage: m }), ME)).toBe('Invoice for you: fdp.exe');
    const file = { id: 'f', name: 'a\u2066gpj.exe\u2069', size: 1, contentType: 'application/octet-stream', sha256: '', conversationId: 'c', uploaderId: 'them', createdAt: m.createdAt };
    expect(lastMessagePreview(conv(person(), { lastMessage: { ...m, body: '', files: [file] } }), ME)).toBe('📎 agpj.exe');
  });

  it('uses the server’s label when it sent one, and words of its own otherwise', () => {
    expect(labels(conv(person({ userId: null, pending: true, label: 'Invited · not on Parley yet' }), { state: 'pending' }))).toEqual(['Invited · not on Parley yet']);
    expect(labels(conv(person({ external: true, label: 'External · Beta Company Ltd' })))).toEqual(['External · Beta Company Ltd']);
    expect(participantLabel(person({ deleted: true, status: 'deleted', orgName: null }))).toBe('Former member');
    expect(participantLabel(person({ label: '  ' , external: true }))).toBe('External · Beta Co');
    expect(participantLabel(person())).toBeNull();
    // The badge's kind (its colour) still follows the flags, whatever the wording.
    expect(participantBadges(person({ deleted: true, status: 'deleted', label: 'Former member of Beta Co' }))).toEqual([{ kind: 'former', label: 'Former member of Beta Co' }]);
    expect(participantBadges(person({ status: 'deactivated' }))).toEqual([{ kind: 'inactive', label: 'Deactivated' }]);
  });

  it('knows who blocked or declined, so only they are offered to undo it', () => {
    const blocked = conv(person({ external: true }), { state: 'blocked', createdBy: 'them', reason: 'blocked', reasonMessage: 'You blocked this person.' });
    expect(blockedByMe(blocked, ME)).toBe(true);
    expect(blockedByMe({ ...blocked, createdBy: ME }, ME)).toBe(false);
    expect(blockedByMe({ ...blocked, state: 'live' }, ME)).toBe(false);
    const declined = conv(person({ external: true }), { state: 'declined', createdBy: 'them' });
    expect(declinedByMe(declined, ME)).toBe(true);
    expect(declinedByMe({ ...declined, createdBy: ME }, ME)).toBe(false);
    expect(writeBlock(declined, ME)?.message).toMatch(/You declined/);
    expect(writeBlock({ ...declined, createdBy: ME }, ME)?.message).toMatch(/declined your message request/);
  });

  it('titles and counts group chats, and tells whether I am still in one', () => {
    const g = conv(person({ userId: 'b', displayName: 'Bea' }), { kind: 'group', title: 'Launch' });
    expect(conversationTitle(g, ME)).toBe('Launch');
    expect(memberCountText(g)).toBe('2 members');
    expect(isMember(g, ME)).toBe(true);
    expect(isMember({ ...g, participants: g.participants.filter((p) => p.userId !== ME) }, ME)).toBe(false);
    const m = { id: 'm', conversationId: 'c', seq: 1, clientId: 'x', senderId: 'b', body: 'hello all', files: [], createdAt: '2024-01-01T00:00:00.000Z', changeSeq: 0 };
    expect(lastMessagePreview({ ...g, lastMessage: m }, ME)).toBe('Bea: hello all');
    // A note about the group says who did what by itself, whoever wrote it.
    const note = { ...m, body: 'Bea added Cal', system: { action: 'members_added' as const, actorId: 'b', userIds: ['c'] } };
    expect(lastMessagePreview({ ...g, lastMessage: note }, ME)).toBe('Bea added Cal');
    expect(lastMessagePreview({ ...g, lastMessage: { ...note, senderId: ME, body: 'Me Myself left the group' } }, ME)).toBe('Me Myself left the group');
  });
});
