import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { Message } from '../../shared/api/shapes.js';
import { ApiError, type ParleyClient } from '../../shared/client.js';
import type { ServerEvent } from '../../shared/events.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { asTestServer, ChildServer, openDataContext } from './child-server.js';
import { sleep, TestSocket } from './test-socket.js';

const DB_URL = process.env.PARLEY_TEST_DATABASE_URL;
const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL;
const enabled = Boolean(DB_URL && REDIS_URL);

if (!enabled) {
  console.warn('\n*** PARLEY_TEST_DATABASE_URL and PARLEY_TEST_REDIS_URL are needed: the multi-node tests are SKIPPED ***\n');
}

type Created = Extract<ServerEvent, { type: 'message.created' }>;

/** Sends, waiting out the per-user send limit (429) instead of failing. */
async function send(client: ParleyClient, conversationId: string, body: string): Promise<Message> {
  for (;;) {
    try {
      return await client.call(api.messages.send, { params: { id: conversationId }, body: { clientId: randomUUID(), body } });
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) {
        await sleep(200);
        continue;
      }
      throw err;
    }
  }
}

/** Two real server processes on one PostgreSQL database and one Redis. */
(enabled ? describe : describe.skip)('two nodes on PostgreSQL and Redis', () => {
  let db: TestDatabase;
  let nodeA: ChildServer;
  let nodeB: ChildServer;
  let a: TestUser;
  let b: TestUser;
  let conversationId: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // One after the other: the first migrates the fresh database.
    nodeA = await ChildServer.start({ dataDir: db.dir, databaseUrl: db.url, redisUrl: REDIS_URL });
    nodeB = await ChildServer.start({ dataDir: db.dir, databaseUrl: db.url, redisUrl: REDIS_URL });
    const ctx = await openDataContext(db.dir, db.url);
    try {
      const org = await makeOrg(ctx, { plan: 'paid' });
      a = await makeUser(asTestServer(ctx, nodeA.url), { org });
      b = await makeUser(asTestServer(ctx, nodeB.url), { org });
    } finally {
      await ctx.lifecycle.close();
    }
    const conv = await nodeA.client(a.token).call(api.conversations.startDirect, { body: { email: b.email } });
    conversationId = conv.id;
  }, 90_000);

  afterAll(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await db?.drop();
  });

  it('delivers a message sent on node A to a socket on node B, exactly once', async () => {
    const onB = await TestSocket.open(nodeB.url, { token: b.token });
    const senderOnB = await TestSocket.open(nodeB.url, { token: a.token });
    const m = await send(nodeA.client(a.token), conversationId, 'across nodes');
    const e = await onB.next<Created>((e) => e.type === 'message.created' && e.message.id === m.id);
    expect(e.message).toMatchObject({ seq: m.seq, body: 'across nodes', senderId: a.user.id });
    // The sender's own tab on the other node hears it too.
    await senderOnB.next((e) => e.type === 'message.created' && e.message.id === m.id);
    await sleep(200);
    expect(onB.count((e) => e.type === 'message.created' && e.message.id === m.id)).toBe(1);
    onB.close();
    senderOnB.close();
  });

  it('answers a message.send on its own socket and tells the other sockets on both nodes, once each', async () => {
    const sending = await TestSocket.open(nodeA.url, { token: a.token });
    const senderOnB = await TestSocket.open(nodeB.url, { token: a.token });
    const senderOnA = await TestSocket.open(nodeA.url, { token: a.token });
    const onB = await TestSocket.open(nodeB.url, { token: b.token });
    const clientId = randomUUID();
    sending.send({ type: 'message.send', conversationId, clientId, body: 'over the socket, across nodes' });
    const sent = await sending.next<Extract<ServerEvent, { type: 'message.sent' }>>((e) => e.type === 'message.sent' && e.clientId === clientId);
    expect(sent.created).toBe(true);
    const created = (e: ServerEvent) => e.type === 'message.created' && e.message.clientId === clientId;
    for (const s of [senderOnB, senderOnA, onB]) expect((await s.next<Created>(created)).message).toEqual(sent.message);
    await sleep(200);
    // The socket to skip travels through Redis: the sending socket gets no echo on either path.
    expect(sending.count(created)).toBe(0);
    for (const s of [senderOnB, senderOnA, onB]) expect(s.count(created)).toBe(1);
    for (const s of [sending, senderOnB, senderOnA, onB]) s.close();
  });

  it('carries typing across nodes', async () => {
    const onA = await TestSocket.open(nodeA.url, { token: a.token });
    const onB = await TestSocket.open(nodeB.url, { token: b.token });
    onA.send({ type: 'typing', conversationId });
    const e = await onB.next((e) => e.type === 'typing');
    expect(e).toMatchObject({ conversationId, userId: a.user.id });
    onA.close();
    onB.close();
  });

  it('keeps seqs contiguous when both nodes take sends for one conversation at once', async () => {
    const watcher = await TestSocket.open(nodeA.url, { token: b.token });
    const before = (await nodeA.client(a.token).call(api.conversations.get, { params: { id: conversationId } })).lastSeq;
    const perNode = 60;
    const viaA = nodeA.client(a.token);
    const viaB = nodeB.client(b.token);
    const results = await Promise.all([
      ...Array.from({ length: 6 }, async (_, w) => {
        const out: Message[] = [];
        for (let i = 0; i < perNode / 6; i++) out.push(await send(viaA, conversationId, `A${w}.${i}`));
        return out;
      }),
      ...Array.from({ length: 6 }, async (_, w) => {
        const out: Message[] = [];
        for (let i = 0; i < perNode / 6; i++) out.push(await send(viaB, conversationId, `B${w}.${i}`));
        return out;
      }),
    ]);
    const sent = results.flat();
    expect(sent).toHaveLength(2 * perNode);
    const seqs = sent.map((m) => m.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * perNode }, (_, i) => before + i + 1));

    const history = await viaB.call(api.messages.list, { params: { id: conversationId }, query: { after: before, limit: 100 } });
    const rest = await viaB.call(api.messages.list, { params: { id: conversationId }, query: { after: before + 100, limit: 100 } });
    const stored = [...history.items, ...rest.items];
    expect(stored.map((m) => m.seq)).toEqual(seqs);
    expect(new Set(stored.map((m) => m.id)).size).toBe(2 * perNode);

    // Every one of them reached a socket on node A, whichever node stored it.
    const end = Date.now() + 10_000;
    while (watcher.count((e) => e.type === 'message.created' && e.message.seq > before) < 2 * perNode && Date.now() < end) await sleep(20);
    const delivered = watcher.events.flatMap((e) => (e.type === 'message.created' && e.message.seq > before ? [e.message.seq] : []));
    expect(delivered.sort((x, y) => x - y)).toEqual(seqs);
    watcher.close();
  }, 60_000);
});
