import type { Conversation } from '../../../src/shared/api/shapes.js';

/**
 * A live direct chat with nothing in it yet, for the web client's unit tests; each test names
 * what matters to it (id, participants, seqs) through `over`.
 */
export function conversationFixture(createdBy: string, over: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    kind: 'direct',
    state: 'live',
    participants: [],
    unreadCount: 0,
    lastSeq: 0,
    lastChangeSeq: 0,
    lastReadSeq: 0,
    lastActivityAt: '2024-01-01T00:00:00.000Z',
    createdAt: '2024-01-01T00:00:00.000Z',
    createdBy,
    ...over,
  };
}
