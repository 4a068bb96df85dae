import { describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { AppError } from '../http/errors.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { startTestServer } from '../testing/server.js';
import { messageWriter, type SendRequest } from './writer.js';

describeEachDb('message writer', (t) => {
  async function group(n = 3) {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const people = await Promise.all(Array.from({ length: n }, () => makeUser(t(), { org })));
    const conv = await people[0]!.api.call(api.conversations.create, { body: { title: 'W', memberIds: people.map((p) => p.user.id) } });
    return { people, id: conv.id };
  }

  it('stores a burst in batches, dedupes clientIds repeated inside one batch, and publishes once per new message', async () => {
    const { people, id } = await group();
    const w = messageWriter(t().ctx);
    const published: string[] = [];
    const stop = t().ctx.events.subscribe((_ids, e) => {
      if (e.type === 'message.created' && e.conversationId === id) published.push(e.message.id);
    });
    const reqs: SendRequest[] = Array.from({ length: 300 }, (_, i) => ({ conversationId: id, senderId: people[i % 3]!.user.id, clientId: `k${i % 150}`, body: `b${i}`, fileIds: [] }));
    const results = await Promise.all(reqs.map((r) => w.submit(r)));
    stop();
    // k0..k149 per sender: i and i+150 share sender only when 150 % 3 === 0, which it is.
    expect(results.filter((r) => r.created)).toHaveLength(150);
    // After the group's creation note (seq 1).
    expect(results.map((r) => r.message.seq).filter((_, i) => results[i]!.created).sort((a, b) => a - b)).toEqual(Array.from({ length: 150 }, (_, i) => i + 2));
    for (let i = 0; i < 150; i++) expect(results[i + 150]!.message.id).toBe(results[i]!.message.id);
    expect(published.sort()).toEqual(results.filter((r) => r.created).map((r) => r.message.id).sort());
  });

  it('fails only the bad request of a batch, with a clean error, and stores the others', async () => {
    const { people, id } = await group();
    const w = messageWriter(t().ctx);
    const good = (i: number): SendRequest => ({ conversationId: id, senderId: people[0]!.user.id, clientId: `g${i}`, body: 'fine', fileIds: [] });
    // A body the database refuses (NOT NULL) makes the whole batch's transaction fail.
    const bad = { ...good(99), clientId: 'bad', body: null as unknown as string };
    const settled = await Promise.allSettled([w.submit(good(1)), w.submit(bad), w.submit(good(2)), w.submit({ ...good(3), conversationId: 'nosuchconversation' })]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    const badErr = (settled[1] as PromiseRejectedResult).reason as AppError;
    expect(badErr).toBeInstanceOf(AppError);
    expect(badErr.status).toBe(503);
    expect(((settled[3] as PromiseRejectedResult).reason as AppError).status).toBe(404);
    const history = await people[1]!.api.call(api.messages.list, { params: { id }, query: { after: 1 } });
    expect(history.items.map((m) => [m.seq, m.clientId])).toEqual([
      [2, 'g1'],
      [3, 'g2'],
    ]);
  });

  it('numbers a batch that spans chats in submit order, refuses outsiders in it, answers retries, and moves each sender cursor to their last message', async () => {
    const { people, id } = await group();
    const [a, b, c] = people.map((p) => p.user.id) as [string, string, string];
    const other = await group(2);
    const stranger = other.people[0]!.user.id;
    const w = messageWriter(t().ctx);
    const first = await w.submit({ conversationId: id, senderId: a, clientId: 'early', body: 'before the batch', fileIds: [] });
    const send = (conversationId: string, senderId: string, clientId: string): SendRequest => ({ conversationId, senderId, clientId, body: clientId, fileIds: [] });
    // Submitted in one event-loop turn: one batch.
    const settled = await Promise.allSettled([
      w.submit(send(id, b, 'x1')),
      w.submit(send(other.id, stranger, 'y1')),
      w.submit(send(id, stranger, 'intruder')),
      w.submit(send(id, a, 'early')),
      w.submit(send(id, c, 'x2')),
      w.submit(send(other.id, other.people[1]!.user.id, 'y2')),
      w.submit(send(id, b, 'x3')),
    ]);
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<Awaited<ReturnType<typeof w.submit>>>).value;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(((settled[2] as PromiseRejectedResult).reason as AppError).status).toBe(404);
    // After the group's creation note (seq 1).
    expect(value(3)).toMatchObject({ created: false, message: { id: first.message.id, seq: 2 } });
    expect([0, 4, 6].map((i) => value(i).message.seq)).toEqual([3, 4, 5]);
    expect([1, 5].map((i) => value(i).message.seq)).toEqual([2, 3]);

    const history = await people[1]!.api.call(api.messages.list, { params: { id }, query: { after: 1 } });
    expect(history.items.map((m) => [m.seq, m.clientId])).toEqual([
      [2, 'early'],
      [3, 'x1'],
      [4, 'x2'],
      [5, 'x3'],
    ]);
    const cursors = await t()
      .ctx.db.selectFrom('conversation_members')
      .select(['conversation_id', 'user_id', 'last_read_seq'])
      .where('conversation_id', 'in', [id, other.id])
      .execute();
    const cursor = (conv: string, user: string) => cursors.find((r) => r.conversation_id === conv && r.user_id === user)?.last_read_seq;
    expect([cursor(id, a), cursor(id, b), cursor(id, c)]).toEqual([2, 5, 4]);
    expect([cursor(other.id, stranger), cursor(other.id, other.people[1]!.user.id)]).toEqual([2, 3]);
  });

  it('flushes what is queued when the server shuts down, then refuses new sends', async () => {
    const node = await startTestServer(t().kind);
    try {
      const org = await makeOrg(node.ctx, { plan: 'paid' });
      const [a, b] = await Promise.all([makeUser(node, { org }), makeUser(node, { org })]);
      const conv = await a!.api.call(api.conversations.startDirect, { body: { email: b!.email } });
      const w = messageWriter(node.ctx);
      const pending = Array.from({ length: 100 }, (_, i) => w.submit({ conversationId: conv.id, senderId: a!.user.id, clientId: `s${i}`, body: 'x', fileIds: [] }));
      await node.server.close();
      const results = await Promise.all(pending);
      expect(results.map((r) => r.message.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      await expect(w.submit({ conversationId: conv.id, senderId: a!.user.id, clientId: 'late', body: 'x', fileIds: [] })).rejects.toMatchObject({ status: 503 });
    } finally {
      await node.close();
    }
  });
});

describe('message writer on SQLite', () => {
  it('hands the connection back in FULL sync after each batch, committed or rolled back', async () => {
    const node = await startTestServer('sqlite');
    try {
      const raw = node.ctx.dbHandle.sqlite!;
      const FULL = 2;
      const org = await makeOrg(node.ctx, { plan: 'paid' });
      const [a, b] = await Promise.all([makeUser(node, { org }), makeUser(node, { org })]);
      const conv = await a!.api.call(api.conversations.startDirect, { body: { email: b!.email } });
      const w = messageWriter(node.ctx);
      const send = (clientId: string, body: string) => w.submit({ conversationId: conv.id, senderId: a!.user.id, clientId, body, fileIds: [] });
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(`ok${i}`, 'fine')));
      expect(raw.pragma('synchronous', { simple: true })).toBe(FULL);
      // A row the database refuses rolls the whole batch back.
      await expect(send('bad', null as unknown as string)).rejects.toMatchObject({ status: 503 });
      expect(raw.inTransaction).toBe(false);
      expect(raw.pragma('synchronous', { simple: true })).toBe(FULL);
      expect((await send('after', 'still fine')).message.seq).toBe(21);
    } finally {
      await node.close();
    }
  });
});
