import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/shared/api/shapes.js';
import { sameGroup } from './messages.js';

function msg(over: Partial<Message> = {}): Message {
  return { id: 'm', conversationId: 'c', seq: 1, clientId: 'x', senderId: 'ann', body: 'hi', files: [], createdAt: '2024-01-01T10:00:00.000Z', changeSeq: 0, ...over };
}

describe('sameGroup', () => {
  it('groups one sender’s messages a few minutes apart, and never across a note about the group', () => {
    const first = msg();
    expect(sameGroup(undefined, first)).toBe(false);
    expect(sameGroup(first, msg({ seq: 2, createdAt: '2024-01-01T10:04:00.000Z' }))).toBe(true);
    expect(sameGroup(first, msg({ seq: 2, createdAt: '2024-01-01T10:06:00.000Z' }))).toBe(false);
    expect(sameGroup(first, msg({ seq: 2, senderId: 'bob' }))).toBe(false);
    const note = msg({ seq: 2, body: 'ann added bob', system: { action: 'members_added', actorId: 'ann', userIds: ['bob'] } });
    expect(sameGroup(first, note)).toBe(false);
    expect(sameGroup(note, msg({ seq: 3 }))).toBe(false);
  });
});
