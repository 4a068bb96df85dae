import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { Message } from '../../shared/api/shapes.js';
import type { ServerEvent } from '../../shared/events.js';
import { ParleyClient } from '../../shared/client.js';
import { RealtimeClient, type RealtimeStatus, type WebSocketConstructor } from '../../shared/realtime-client.js';
import { doRevokeUserSessions } from '../accounts/sessions.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { gatewayOf } from './routes.js';
import { sleep } from './test-socket.js';

async function until(pred: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function watch(user: TestUser, opts: { sync?: boolean; minBackoffMs?: number } = {}) {
  const events: ServerEvent[] = [];
  const statuses: RealtimeStatus[] = [];
  /** Each chat list handed over (sync mode): its chat ids, and how many events had come before it. */
  const lists: { ids: string[]; at: number }[] = [];
  const client = new RealtimeClient({
    api: user.api,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    onEvent: (e) => events.push(e),
    onConversations: (list) => lists.push({ ids: list.map((c) => c.id), at: events.length }),
    onStatus: (s) => statuses.push(s),
    syncConversations: opts.sync,
    minBackoffMs: opts.minBackoffMs ?? 200,
    maxBackoffMs: Math.max(400, opts.minBackoffMs ?? 0),
  });
  client.connect();
  const seqs = (conversationId: string) =>
    events.flatMap((e) => (e.type === 'message.created' && e.conversationId === conversationId ? [e.message.seq] : []));
  /** Edits and deletions delivered for a conversation: [type, seq, changeSeq, body]. */
  const changes = (conversationId: string) =>
    events.flatMap((e) => ((e.type === 'message.updated' || e.type === 'message.deleted') && e.conversationId === conversationId ? [[e.type, e.message.seq, e.message.changeSeq, e.message.body]] : []));
  return { client, events, statuses, lists, seqs, changes };
}

describeEachDb('realtime client', (t) => {
  async function pair() {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const a = await makeUser(t(), { org });
    const b = await makeUser(t(), { org });
    const conv = await a.api.call(api.conversations.startDirect, { body: { email: b.email } });
    const send = (body: string, from: TestUser = a) => from.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: randomUUID(), body } });
    const edit = (m: Message, body: string, from: TestUser = a) => from.api.call(api.messages.edit, { params: { id: conv.id, messageId: m.id }, body: { body } });
    const remove = (m: Message, from: TestUser = a) => from.api.call(api.messages.remove, { params: { id: conv.id, messageId: m.id } });
    return { org, a, b, conversationId: conv.id, send, edit, remove };
  }

  // The reconnect waits at least half of 1.2 s, so everything done while away is done before it.
  const AWAY_MS = 1200;

  it('misses no edit or deletion across a reconnect: they come in change order, before later live events', async () => {
    const { b, conversationId, send, edit, remove } = await pair();
    const w = watch(b, { minBackoffMs: AWAY_MS });
    await until(() => w.client.isOpen, 'first connection');
    const sent = [await send('one'), await send('two'), await send('three')];
    await until(() => w.seqs(conversationId).length === 3, 'three live messages');
    await edit(sent[0]!, 'one, edited live');
    await until(() => w.changes(conversationId).length === 1, 'the live edit');

    expect(gatewayOf(t().ctx).disconnectUser(b.user.id)).toBe(1);
    await until(() => !w.client.isOpen, 'the drop');
    await edit(sent[1]!, 'two, edited while away');
    await remove(sent[2]!);
    await edit(sent[0]!, 'one, edited again while away');
    expect(w.client.isOpen).toBe(false);
    await until(() => w.client.isOpen, 'reconnection');
    const four = await send('four');
    await edit(four, 'four, edited live');
    await until(() => w.changes(conversationId).length >= 5, 'every change');
    await sleep(200);
    expect(w.changes(conversationId)).toEqual([
      ['message.updated', 1, 1, 'one, edited live'],
      ['message.updated', 2, 2, 'two, edited while away'],
      ['message.deleted', 3, 3, ''],
      ['message.updated', 1, 4, 'one, edited again while away'],
      ['message.updated', 4, 5, 'four, edited live'],
    ]);
    expect(w.seqs(conversationId)).toEqual([1, 2, 3, 4]);
    // The new message comes before its edit.
    const at = (type: string) => w.events.findIndex((e) => (e.type === 'message.created' || e.type === 'message.updated') && e.type === type && e.message.seq === 4);
    expect(at('message.created')).toBeLessThan(at('message.updated'));
    w.client.close();
  });

  it('in sync mode, catches up from the chat list: changes from before it started are not replayed, a new chat comes as it is now', async () => {
    const { org, b, conversationId, send, edit, remove } = await pair();
    const sent = [await send('one'), await send('two')];
    await edit(sent[0]!, 'edited before the watch');
    const w = watch(b, { sync: true, minBackoffMs: AWAY_MS });
    await until(() => w.client.isOpen, 'connection');
    await sleep(100);
    gatewayOf(t().ctx).disconnectUser(b.user.id);
    await until(() => !w.client.isOpen, 'the drop');
    await remove(sent[1]!);
    const c = await makeUser(t(), { org });
    const conv2 = await c.api.call(api.conversations.startDirect, { body: { email: b.email } });
    const first = await c.api.call(api.messages.send, { params: { id: conv2.id }, body: { clientId: randomUUID(), body: 'new chat' } });
    await c.api.call(api.messages.edit, { params: { id: conv2.id, messageId: first.id }, body: { body: 'new chat, edited' } });
    expect(w.client.isOpen).toBe(false);
    await until(() => w.client.isOpen, 'reconnection');
    await until(() => w.changes(conversationId).length === 1 && w.seqs(conv2.id).length === 1, 'the caught-up deletion and chat');
    await sleep(200);
    expect(w.changes(conversationId)).toEqual([['message.deleted', 2, 2, '']]);
    // The new chat's message is delivered in its current state, and its edit not again.
    const created = w.events.find((e) => e.type === 'message.created' && e.conversationId === conv2.id);
    expect(created).toMatchObject({ message: { body: 'new chat, edited', changeSeq: 1 } });
    expect(w.changes(conv2.id)).toEqual([]);
    w.client.close();
  });

  it('catchUpChanges pages through many changes', async () => {
    const { a, b, conversationId, send, edit } = await pair();
    const sent: Message[] = [];
    for (let i = 1; i <= 110; i++) sent.push(await send(`m${i}`, i % 2 ? a : b));
    for (const m of sent) await edit(m, `${m.body}, edited`, m.senderId === a.user.id ? a : b);
    const client = new RealtimeClient({ api: b.api, WebSocket: WebSocket as unknown as WebSocketConstructor, onEvent: () => undefined });
    const all = await client.catchUpChanges(conversationId, 0);
    expect(all.map((m) => m.changeSeq)).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));
    const tail = await client.catchUpChanges(conversationId, 107);
    expect(tail.map((m) => m.body)).toEqual(['m108, edited', 'm109, edited', 'm110, edited']);
  });

  it('misses nothing across a reconnect: messages sent while disconnected are caught up in order, once', async () => {
    const { b, conversationId, send } = await pair();
    const w = watch(b);
    await until(() => w.client.isOpen, 'first connection');
    for (let i = 1; i <= 3; i++) await send(`live ${i}`);
    await until(() => w.seqs(conversationId).length === 3, 'three live messages');

    expect(gatewayOf(t().ctx).disconnectUser(b.user.id)).toBe(1);
    await until(() => !w.client.isOpen, 'the drop');
    for (let i = 4; i <= 8; i++) await send(`while away ${i}`);
    await until(() => w.client.isOpen, 'reconnection');
    await send('live 9');
    await until(() => w.seqs(conversationId).length >= 9, 'all nine messages');
    await sleep(200);
    expect(w.seqs(conversationId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.statuses).toContain('reconnecting');
    const bodies = w.events.flatMap((e) => (e.type === 'message.created' ? [e.message.body] : []));
    expect(bodies[4]).toBe('while away 5');
    w.client.close();
  });

  it('catchUp pages through long histories', async () => {
    const { a, b, conversationId, send } = await pair();
    // Both members write, so neither reaches the per-user send limit.
    for (let i = 1; i <= 120; i++) await send(`m${i}`, i % 2 ? a : b);
    const client = new RealtimeClient({ api: b.api, WebSocket: WebSocket as unknown as WebSocketConstructor, onEvent: () => undefined });
    const all = await client.catchUp(conversationId, 0);
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const tail = await client.catchUp(conversationId, 115);
    expect(tail.map((m) => m.body)).toEqual(['m116', 'm117', 'm118', 'm119', 'm120']);
  });

  it('in sync mode, also delivers chats started while it was disconnected', async () => {
    const { org, b, conversationId, send } = await pair();
    await send('before start');
    const w = watch(b, { sync: true });
    await until(() => w.client.isOpen, 'connection');
    await sleep(100);
    gatewayOf(t().ctx).disconnectUser(b.user.id);
    await until(() => !w.client.isOpen, 'the drop');
    const c = await makeUser(t(), { org });
    const conv2 = await c.api.call(api.conversations.startDirect, { body: { email: b.email } });
    await c.api.call(api.messages.send, { params: { id: conv2.id }, body: { clientId: randomUUID(), body: 'new chat 1' } });
    await c.api.call(api.messages.send, { params: { id: conv2.id }, body: { clientId: randomUUID(), body: 'new chat 2' } });
    await send('old chat 2');
    await until(() => w.seqs(conv2.id).length === 2 && w.seqs(conversationId).length === 1, 'caught-up messages');
    // The message from before the watch started is not replayed.
    expect(w.seqs(conversationId)).toEqual([2]);
    expect(w.seqs(conv2.id)).toEqual([1, 2]);
    // Each list is handed over, the new chat in the second, before its messages (a client can name its people).
    expect(w.lists.map((l) => l.ids.includes(conv2.id))).toEqual([false, true]);
    const firstOfNew = w.events.findIndex((e) => e.type === 'message.created' && e.conversationId === conv2.id);
    expect(w.lists[1]!.at).toBeLessThanOrEqual(firstOfNew);
    w.client.close();
  });

  it('sends on the socket: answered there, delivered once and in order to the sender and to the other member', async () => {
    const { a, b, conversationId, send } = await pair();
    const wa = watch(a);
    const wb = watch(b);
    await until(() => wa.client.isOpen && wb.client.isOpen, 'connections');
    await send('first, over HTTP', b);
    await until(() => wa.seqs(conversationId).length === 1, 'first message');
    const clientId = randomUUID();
    const sent = await wa.client.sendMessage(conversationId, { clientId, body: 'second, on the socket' });
    expect(sent).toMatchObject({ created: true, message: { seq: 2, clientId, body: 'second, on the socket', senderId: a.user.id } });
    // The answer stands in for the message.created this socket does not get: no gap, no fetch.
    expect(wa.seqs(conversationId)).toEqual([1, 2]);
    await until(() => wb.seqs(conversationId).length === 2 && wa.seqs(conversationId).length === 2, 'both messages on both sides');
    // The same clientId again answers the first message, and delivers nothing twice.
    const again = await wa.client.sendMessage(conversationId, { clientId, body: 'second, on the socket' });
    expect(again).toMatchObject({ created: false, message: { id: sent!.message.id } });
    await send('third', b);
    await until(() => wa.seqs(conversationId).length === 3, 'third message');
    await sleep(100);
    expect(wa.seqs(conversationId)).toEqual([1, 2, 3]);
    expect(wb.seqs(conversationId)).toEqual([1, 2, 3]);
    wa.client.close();
    wb.client.close();
  });

  it('a refused send rejects with the same error as over HTTP; a closed socket gives null or fails over without a duplicate', async () => {
    const { a, conversationId } = await pair();
    const stranger = await makeUser(t());
    const w = watch(a);
    const ws = watch(stranger);
    await until(() => w.client.isOpen && ws.client.isOpen, 'connections');
    const big = w.client.sendMessage(conversationId, { clientId: randomUUID(), body: 'x'.repeat(20_000) });
    await expect(big).rejects.toMatchObject({ name: 'ApiError', status: 413, code: 'message_too_large' });
    await expect(ws.client.sendMessage(conversationId, { clientId: randomUUID(), body: 'let me in' })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    ws.client.close();

    // Cut off before the answer: the sender is told to send again over HTTP, which stores it once.
    const clientId = randomUUID();
    const cut = w.client.sendMessage(conversationId, { clientId, body: 'carried or not?' });
    w.client.close();
    await expect(cut).rejects.toMatchObject({ name: 'SocketSendError' });
    expect(w.client.sendMessage(conversationId, { clientId: randomUUID(), body: 'closed' })).toBeNull();
    const viaHttp = await a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId, body: 'carried or not?' } });
    const history = await a.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(history.items.filter((m) => m.clientId === clientId).map((m) => m.id)).toEqual([viaHttp.id]);
  });

  it('stops for good when the session ends (4001) and does not reconnect', async () => {
    const { b } = await pair();
    const w = watch(b);
    await until(() => w.client.isOpen, 'connection');
    await b.api.call(api.auth.logout);
    await gatewayOf(t().ctx).heartbeat();
    await until(() => w.statuses.includes('ended'), 'ended status');
    await sleep(600);
    expect(w.client.isOpen).toBe(false);
    expect(w.statuses.filter((s) => s === 'connecting' || s === 'reconnecting')).toHaveLength(1);
  });

  it('stops for good when the session ended while it was away (the handshake is refused)', async () => {
    const { b } = await pair();
    // Signed out before this client connects: every handshake is refused with 401.
    await doRevokeUserSessions(t().ctx.db, b.user.id);
    const w = watch(b);
    await until(() => w.statuses.includes('ended'), 'ended status');
    await sleep(600);
    expect(w.client.isOpen).toBe(false);
    expect(w.statuses.filter((s) => s === 'connecting' || s === 'reconnecting')).toHaveLength(1);
  });

  it('keeps the path of a server behind a prefix in the socket URL', () => {
    const rt = new RealtimeClient({
      api: new ParleyClient({ baseUrl: 'https://chat.example.com/parley/', token: 'tok' }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      onEvent: () => undefined,
    });
    expect(rt.socketUrl()).toBe('wss://chat.example.com/parley/api/v1/events?token=tok');
    // A client whose socket sends the token as a header keeps it out of the URL.
    const headerOnly = new RealtimeClient({
      api: new ParleyClient({ baseUrl: 'https://chat.example.com/parley/', token: 'tok' }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      tokenInUrl: false,
      onEvent: () => undefined,
    });
    expect(headerOnly.socketUrl()).toBe('wss://chat.example.com/parley/api/v1/events');
  });

  it('in sync mode, passes on what is heard while the first chat list is read, and replays nothing from before', async () => {
    const { b, conversationId, send, edit } = await pair();
    const before = [];
    for (let i = 1; i <= 5; i++) before.push(await send(`old ${i}`));
    // The chat list is held back until the test lets it go, so events arrive before it.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gatedFetch: typeof fetch = async (input, init) => {
      if (String(input).includes('/api/v1/conversations?')) await gate;
      return fetch(input, init);
    };
    const events: ServerEvent[] = [];
    const lists: number[] = [];
    const rt = new RealtimeClient({
      api: new ParleyClient({ baseUrl: b.api.baseUrl, token: b.api.token, fetch: gatedFetch }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      syncConversations: true,
      onConversations: (list) => lists.push(list.length),
      onEvent: (e) => events.push(e),
    });
    rt.connect();
    try {
      await until(() => rt.isOpen, 'open');
      const six = await send('new 6');
      await send('new 7');
      await edit(before[0]!, 'old 1, edited');
      await edit(six, 'new 6, edited');
      await sleep(200);
      expect(events.filter((e) => e.type !== 'hello')).toEqual([]);
      release();
      await until(() => lists.length === 1, 'the chat list');
      await send('new 8');
      await until(() => events.filter((e) => e.type === 'message.created').length >= 3, 'three messages');
      await sleep(200);
      const seen = events.flatMap((e) => (e.type === 'message.created' ? [`created ${e.message.seq}`] : e.type === 'message.updated' ? [`updated ${e.message.seq}`] : []));
      expect(seen).toEqual(['created 6', 'created 7', 'updated 1', 'updated 6', 'created 8']);
      expect(lists).toEqual([1]);
      expect(events.every((e) => !('conversationId' in e) || e.conversationId === conversationId)).toBe(true);
    } finally {
      rt.close();
    }
  });
});
