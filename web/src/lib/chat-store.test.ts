import { describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../../../src/shared/api/shapes.js';
import { ChatStore, PAGE, type ChatApi } from './chat-store.js';
import { conversationFixture } from './test-fixtures.js';

const ME = 'u-me';
const THEM = 'u-them';

function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversationId: 'c1',
    seq,
    clientId: `cl${seq}`,
    senderId: THEM,
    body: `hello ${seq}`,
    files: [],
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(),
    changeSeq: 0,
    ...over,
  };
}

function person(userId: string) {
  return { userId, email: `${userId}@a.example`, displayName: userId, orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' as const };
}

function conv(over: Partial<Conversation> = {}): Conversation {
  return conversationFixture(ME, over);
}

/** A fake server holding `total` messages of c1, answering pages like the contract says. */
function fakeApi(total: number, c: Conversation = conv({ lastSeq: total })) {
  const all = Array.from({ length: total }, (_, i) => msg(i + 1));
  const calls: { before?: number; after?: number; limit: number }[] = [];
  const api: ChatApi = {
    listConversations: async () => [c],
    getConversation: async () => c,
    messages: async (_id, q) => {
      calls.push(q);
      if (q.after !== undefined) return all.filter((m) => m.seq > q.after!).slice(0, q.limit);
      const below = all.filter((m) => q.before === undefined || m.seq < q.before);
      return below.slice(Math.max(0, below.length - q.limit));
    },
  };
  return { api, all, calls };
}

describe('ChatStore', () => {
  it('opens a chat on its newest page and scrolls back to the first message', async () => {
    const { api } = fakeApi(PAGE * 2 + 7);
    const store = new ChatStore(ME, api);
    await store.openThread('c1');
    let t = store.thread('c1');
    expect(t.messages.map((m) => m.seq)).toEqual(Array.from({ length: PAGE }, (_, i) => PAGE + 8 + i));
    expect(t.hasOlder).toBe(true);
    await store.loadOlder('c1');
    await store.loadOlder('c1');
    t = store.thread('c1');
    expect(t.messages).toHaveLength(PAGE * 2 + 7);
    expect(t.messages[0]!.seq).toBe(1);
    expect(t.hasOlder).toBe(false);
  });

  it('catches up page by page after a reconnect, without duplicates', async () => {
    const fake = fakeApi(3);
    const store = new ChatStore(ME, fake.api);
    await store.loadConversations();
    await store.openThread('c1');
    // The server got many messages while the socket was down.
    for (let s = 4; s <= PAGE + 10; s++) fake.all.push(msg(s));
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(PAGE + 10) });
    await store.catchUp();
    const seqs = store.thread('c1').messages.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: PAGE + 10 }, (_, i) => i + 1));
    expect(store.conversations.get('c1')!.lastSeq).toBe(PAGE + 10);
  });

  it('counts unread messages from others only and clears them on read', async () => {
    const store = new ChatStore(ME, fakeApi(0, conv()).api);
    await store.loadConversations();
    await store.openThread('c1');
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(1) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(2) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(3, { senderId: ME }) });
    // My own message means I have seen everything above it.
    expect(store.conversations.get('c1')!.unreadCount).toBe(0);
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(4) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(5) });
    expect(store.conversations.get('c1')!.unreadCount).toBe(2);
    store.markReadLocal('c1', 4);
    expect(store.conversations.get('c1')!.unreadCount).toBe(1);
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: ME, seq: 5 });
    expect(store.conversations.get('c1')!.unreadCount).toBe(0);
  });

  it('a deleted unread message leaves the unread count, once, and a change the list already counts is not taken off again', async () => {
    const store = new ChatStore(ME, fakeApi(0, conv()).api);
    await store.loadConversations();
    for (let seq = 1; seq <= 3; seq++) store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(seq) });
    expect(store.conversations.get('c1')!.unreadCount).toBe(3);
    const gone = msg(2, { body: '', deletedAt: '2024-02-02T00:00:00.000Z', changeSeq: 1 });
    store.applyEvent({ type: 'message.deleted', conversationId: 'c1', message: gone });
    expect(store.conversations.get('c1')!.unreadCount).toBe(2);
    // The same deletion again (a catch-up replay): no change.
    store.applyEvent({ type: 'message.deleted', conversationId: 'c1', message: gone });
    expect(store.conversations.get('c1')!.unreadCount).toBe(2);
    // A fresh list already counts deletion 2; its event, replayed after it, takes nothing off.
    store.upsertConversation({ ...store.conversations.get('c1')!, unreadCount: 1, lastChangeSeq: 2 });
    store.applyEvent({ type: 'message.deleted', conversationId: 'c1', message: msg(3, { body: '', deletedAt: '2024-02-02T00:00:01.000Z', changeSeq: 2 }) });
    expect(store.conversations.get('c1')!.unreadCount).toBe(1);
    // A deletion of a message already read, or of my own, changes nothing.
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: ME, seq: 3 });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(4) });
    store.applyEvent({ type: 'message.deleted', conversationId: 'c1', message: msg(1, { body: '', deletedAt: '2024-02-02T00:00:02.000Z', changeSeq: 3 }) });
    expect(store.conversations.get('c1')!.unreadCount).toBe(1);
  });

  it('a repeated created event is not counted twice', async () => {
    const store = new ChatStore(ME, fakeApi(0, conv()).api);
    await store.loadConversations();
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(1) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(1) });
    expect(store.conversations.get('c1')!.unreadCount).toBe(1);
  });

  it('applies edits and deletions, and a deletion is final', async () => {
    const store = new ChatStore(ME, fakeApi(2).api);
    await store.openThread('c1');
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: msg(2, { body: 'edited', editedAt: '2024-02-01T00:00:00.000Z' }) });
    expect(store.thread('c1').messages[1]!.body).toBe('edited');
    store.applyEvent({ type: 'message.deleted', conversationId: 'c1', message: msg(2, { body: '', deletedAt: '2024-02-02T00:00:00.000Z' }) });
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: msg(2, { body: 'late edit', editedAt: '2024-02-03T00:00:00.000Z' }) });
    expect(store.thread('c1').messages[1]!.deletedAt).toBeTruthy();
    expect(store.thread('c1').messages[1]!.body).toBe('');
  });

  it('keeps the copy with the higher change number, whatever the clocks of the nodes say', async () => {
    const store = new ChatStore(ME, fakeApi(2).api);
    await store.openThread('c1');
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: msg(1, { body: 'second edit', editedAt: '2024-02-01T00:00:00.000Z', changeSeq: 2 }) });
    // An older change replayed late, stamped by a node whose clock runs ahead.
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: msg(1, { body: 'first edit', editedAt: '2024-02-05T00:00:00.000Z', changeSeq: 1 }) });
    expect(store.thread('c1').messages[0]!.body).toBe('second edit');
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: msg(1, { body: 'third edit', editedAt: '2024-01-31T00:00:00.000Z', changeSeq: 3 }) });
    expect(store.thread('c1').messages[0]!.body).toBe('third edit');
  });

  it('leaves a change of a message older than those held for when they are scrolled back to', async () => {
    const { api, all } = fakeApi(PAGE + 5);
    const store = new ChatStore(ME, api);
    await store.openThread('c1');
    const first = store.thread('c1').messages[0]!.seq;
    all[1] = msg(2, { body: 'edited while away', editedAt: '2024-02-01T00:00:00.000Z', changeSeq: 1 });
    store.applyEvent({ type: 'message.updated', conversationId: 'c1', message: all[1] });
    expect(store.thread('c1').messages[0]!.seq).toBe(first);
    await store.loadOlder('c1');
    const t = store.thread('c1');
    expect(t.messages.map((m) => m.seq)).toEqual(Array.from({ length: PAGE + 5 }, (_, i) => i + 1));
    expect(t.messages[1]!.body).toBe('edited while away');
  });

  it('replaces a pending message when its clientId comes back', async () => {
    const store = new ChatStore(ME, fakeApi(0, conv()).api);
    await store.openThread('c1');
    store.addPending('c1', { clientId: 'abc', body: 'hi', fileNames: [], createdAt: 'x' });
    expect(store.thread('c1').pending).toHaveLength(1);
    store.applyMessage(msg(1, { clientId: 'abc', senderId: ME, body: 'hi' }), true);
    expect(store.thread('c1').pending).toHaveLength(0);
    expect(store.thread('c1').messages.map((m) => m.body)).toEqual(['hi']);
  });

  it('shows typing until it expires and hides it when the message lands', async () => {
    let now = 1000;
    const store = new ChatStore(ME, fakeApi(0, conv()).api, () => now);
    store.applyEvent({ type: 'typing', conversationId: 'c1', userId: THEM, expiresInMs: 3000 });
    store.applyEvent({ type: 'typing', conversationId: 'c1', userId: ME, expiresInMs: 3000 });
    expect(store.typingUsers('c1')).toEqual([THEM]);
    now += 3001;
    expect(store.typingUsers('c1')).toEqual([]);
    store.applyEvent({ type: 'typing', conversationId: 'c1', userId: THEM, expiresInMs: 3000 });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(1) });
    expect(store.typingUsers('c1')).toEqual([]);
    store.dispose();
  });

  it('keeps the newest state when a stale list answer arrives after an event', async () => {
    const store = new ChatStore(ME, fakeApi(1, conv({ lastSeq: 1 })).api);
    store.applyEvent({ type: 'conversation.created', conversation: conv({ lastSeq: 1 }) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(2) });
    await store.loadConversations();
    expect(store.conversations.get('c1')!.lastSeq).toBe(2);
  });

  it('tracks what the other side has read', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    store.upsertConversation(conv({ participants: [person(ME), person(THEM)] }));
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: THEM, seq: 4 });
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: THEM, seq: 2 });
    expect(store.seenByOthers('c1')).toBe(4);
  });

  it('knows what was seen from the chat itself after a reload, and from read events after that', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    store.upsertConversation(conv({ kind: 'group', title: 'g', participants: [person(ME), { ...person(THEM), lastReadSeq: 4 }, { ...person('u-third'), lastReadSeq: 6 }] }));
    expect(store.seenByOthers('c1')).toBe(4);
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: THEM, seq: 7 });
    expect(store.seenByOthers('c1')).toBe(6);
    // An older copy of the chat does not take back what the events said.
    store.upsertConversation(conv({ kind: 'group', title: 'g', participants: [person(ME), { ...person(THEM), lastReadSeq: 4 }, { ...person('u-third'), lastReadSeq: 6 }] }));
    expect(store.seenByOthers('c1')).toBe(6);
  });

  it('in a group, a message is seen once every other member has read it, not one of them', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    store.upsertConversation(conv({ kind: 'group', title: 'g', participants: [person(ME), person(THEM), person('u-third')] }));
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: THEM, seq: 5 });
    expect(store.seenByOthers('c1')).toBe(0);
    store.applyEvent({ type: 'read', conversationId: 'c1', userId: 'u-third', seq: 3 });
    expect(store.seenByOthers('c1')).toBe(3);
  });

  it('a list answer older than the events heard keeps their unread messages, and what was read elsewhere stays read', async () => {
    // The list was read at seq 4 with 4 unread; two more messages from them were heard since.
    const slow = conv({ lastSeq: 4, unreadCount: 4 });
    const store = new ChatStore(ME, fakeApi(4, slow).api);
    store.upsertConversation(conv({ lastSeq: 4, unreadCount: 4 }));
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(5) });
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(6) });
    await store.loadConversations();
    expect(store.conversations.get('c1')).toMatchObject({ lastSeq: 6, unreadCount: 6 });
    // Read up to 4 in another tab (the list says 0 unread at 4): only the two newer ones are unread.
    const read = new ChatStore(ME, fakeApi(4, conv({ lastSeq: 4, unreadCount: 0, lastReadSeq: 4 })).api);
    read.upsertConversation(conv({ lastSeq: 4, unreadCount: 4 }));
    read.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(5) });
    read.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(6) });
    await read.loadConversations();
    expect(read.conversations.get('c1')).toMatchObject({ lastSeq: 6, unreadCount: 2, lastReadSeq: 4 });
  });

  it('says "left" in another tab when the group’s last note says I left', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    const g = conv({ kind: 'group', title: 'Launch', participants: [person(ME), person(THEM)] });
    store.upsertConversation(g);
    const note = msg(2, { senderId: ME, system: { action: 'member_left', actorId: ME } });
    store.applyEvent({ type: 'conversation.updated', conversation: { ...g, participants: [person(THEM)], lastSeq: 2, lastMessage: note } });
    expect(store.gone.get('c1')).toEqual({ title: 'Launch', why: 'left' });
    // Removed by someone else: "removed".
    const other = new ChatStore(ME, fakeApi(0).api);
    other.upsertConversation(g);
    const removal = msg(2, { senderId: THEM, system: { action: 'member_removed', actorId: THEM, userIds: [ME] } });
    other.applyEvent({ type: 'conversation.updated', conversation: { ...g, participants: [person(THEM)], lastSeq: 2, lastMessage: removal } });
    expect(other.gone.get('c1')).toEqual({ title: 'Launch', why: 'removed' });
  });

  it('forgets a group I was removed from, and says so instead of failing', async () => {
    const people = [
      { userId: ME, email: 'me@a.example', displayName: 'Me', orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' as const },
      { userId: THEM, email: 'them@a.example', displayName: 'Them', orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' as const },
    ];
    const g = conv({ kind: 'group', title: 'Launch', participants: people, lastSeq: 1 });
    const { api } = fakeApi(1, g);
    const store = new ChatStore(ME, api);
    await store.openThread('c1');
    expect(store.thread('c1').loaded).toBe(true);
    store.applyEvent({ type: 'conversation.updated', conversation: { ...g, participants: [people[1]!] } });
    expect(store.conversations.has('c1')).toBe(false);
    expect(store.thread('c1').loaded).toBe(false);
    expect(store.gone.get('c1')).toEqual({ title: 'Launch', why: 'removed' });
    // Late messages of a chat I am out of are ignored.
    store.applyEvent({ type: 'message.created', conversationId: 'c1', message: msg(2) });
    expect(store.conversations.has('c1')).toBe(false);
    // Being added again brings it back.
    store.applyEvent({ type: 'conversation.created', conversation: g });
    expect(store.conversations.has('c1')).toBe(true);
    expect(store.gone.has('c1')).toBe(false);
  });

  it('keeps "left" when the removal event follows my own leaving', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    const g = conv({ kind: 'group', title: 'Launch', participants: [{ userId: ME, email: 'me@a.example', displayName: 'Me', orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' }] });
    store.upsertConversation(g);
    store.forget('c1', 'left');
    store.applyEvent({ type: 'conversation.updated', conversation: { ...g, participants: [] } });
    expect(store.gone.get('c1')).toEqual({ title: 'Launch', why: 'left' });
  });

  it('drops a group missing from a fresh list, but not one that arrived while the list was loading', async () => {
    const g = (id: string) => conv({ id, kind: 'group', title: id, participants: [{ userId: ME, email: 'me@a.example', displayName: 'Me', orgId: 'o', orgName: 'A', external: false, deleted: false, pending: false, status: 'active' }] });
    let answer: Conversation[] = [];
    let during: (() => void) | null = null;
    const api: ChatApi = {
      listConversations: async () => {
        during?.();
        return answer;
      },
      getConversation: async () => conv(),
      messages: async () => [],
    };
    const store = new ChatStore(ME, api);
    answer = [g('a'), g('b'), conv({ id: 'd' })];
    await store.loadConversations();
    expect([...store.conversations.keys()].sort()).toEqual(['a', 'b', 'd']);
    // Reconnect: 'b' is gone from the list (removed while away); 'n' is new and came by event
    // during the request; direct chats are never dropped this way.
    answer = [g('a')];
    during = () => store.applyEvent({ type: 'conversation.created', conversation: g('n') });
    await store.loadConversations();
    expect([...store.conversations.keys()].sort()).toEqual(['a', 'd', 'n']);
    expect(store.gone.get('b')?.why).toBe('removed');
  });

  it('moves the files epoch when files are shared or messages deleted', () => {
    const store = new ChatStore(ME, fakeApi(0).api);
    store.upsertConversation(conv());
    const f = { id: 'f', name: 'a.txt', size: 1, contentType: 'text/plain', sha256: '', conversationId: 'c1', uploaderId: THEM, createdAt: '' };
    store.applyMessage(msg(1), true);
    expect(store.fileEpoch('c1')).toBe(0);
    store.applyMessage(msg(2, { files: [f] }), true);
    expect(store.fileEpoch('c1')).toBe(1);
    store.applyMessage(msg(2, { files: [], deletedAt: '2024-01-02T00:00:00.000Z' }), false);
    expect(store.fileEpoch('c1')).toBe(2);
  });
});
