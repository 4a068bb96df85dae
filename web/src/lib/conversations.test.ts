import { describe, expect, it } from 'vitest';
import type { Conversation, Participant } from '../../../src/shared/api/shapes.js';
import { conversationBadges, conversationTitle, lastMessagePreview, sortConversations, totalUnread, writeBlock } from './conversations.js';

const ME = 'me';

function person(over: Partial<Participant> = {}): Participant {
  return { userId: 'them', email: 'them@b.example', displayName: 'Them', orgId: 'o2', orgName: 'Beta Co', external: false, deleted: false, pending: false, status: 'active', ...over };
}

function conv(other: Participant, over: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c',
    kind: 'direct',
    state: 'live',
    participants: [person({ userId: ME, email: 'me@a.example', displayName: 'Me', orgId: 'o1', orgName: 'Alpha' }), other],
    unreadCount: 0,
    lastSeq: 0,
    lastReadSeq: 0,
    lastActivityAt: '2024-01-01T00:00:00.000Z',
    createdAt: '2024-01-01T00:00:00.000Z',
    createdBy: ME,
    ...over,
  };
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
    const m = { id: 'm', conversationId: 'c', seq: 1, clientId: 'x', senderId: ME, body: 'hi\nthere', files: [], createdAt: '2024-01-01T00:00:00.000Z' };
    expect(lastMessagePreview(conv(person(), { lastMessage: m }), ME)).toBe('You: hi there');
    expect(lastMessagePreview(conv(person(), { lastMessage: { ...m, deletedAt: '2024-01-02T00:00:00.000Z' } }), ME)).toBe('Message deleted');
  });
});
