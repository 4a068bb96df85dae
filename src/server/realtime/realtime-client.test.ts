import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { ServerEvent } from '../../shared/events.js';
import { RealtimeClient, type RealtimeStatus, type WebSocketConstructor } from '../../shared/realtime-client.js';
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

function watch(user: TestUser, opts: { sync?: boolean } = {}) {
  const events: ServerEvent[] = [];
  const statuses: RealtimeStatus[] = [];
  const client = new RealtimeClient({
    api: user.api,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    syncConversations: opts.sync,
    minBackoffMs: 200,
    maxBackoffMs: 400,
  });
  client.connect();
  const seqs = (conversationId: string) =>
    events.flatMap((e) => (e.type === 'message.created' && e.conversationId === conversationId ? [e.message.seq] : []));
  return { client, events, statuses, seqs };
}

describeEachDb('realtime client', (t) => {
  async function pair() {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const a = await makeUser(t(), { org });
    const b = await makeUser(t(), { org });
    const conv = await a.api.call(api.conversations.startDirect, { body: { email: b.email } });
    const send = (body: string, from: TestUser = a) => from.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: randomUUID(), body } });
    return { org, a, b, conversationId: conv.id, send };
  }

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
    w.client.close();
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
});
