import { expect, it } from 'vitest';
import { api, type Conversation } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { cid, expectApiError, recordEvents } from './test-helpers.js';

describeEachDb('messages: history, edit, delete, read', (t) => {
  async function chatWith(n: number): Promise<{ ann: TestUser; bob: TestUser; id: string }> {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    for (let i = 1; i <= n; i++) await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `m${i}`, body: `message ${i}` } });
    return { ann, bob, id: conv.id };
  }

  it('pages with after, before and limit, always in ascending seq', async () => {
    const { bob, id } = await chatWith(7);
    const page = async (query: { after?: number; before?: number; limit?: number }) => {
      const r = await bob.api.call(api.messages.list, { params: { id }, query });
      return { seqs: r.items.map((m) => m.seq), next: r.next };
    };
    expect(await page({})).toEqual({ seqs: [1, 2, 3, 4, 5, 6, 7], next: undefined });
    expect(await page({ limit: 3 })).toEqual({ seqs: [5, 6, 7], next: '5' });
    expect(await page({ before: 5, limit: 3 })).toEqual({ seqs: [2, 3, 4], next: '2' });
    expect(await page({ before: 2, limit: 3 })).toEqual({ seqs: [1], next: undefined });
    expect(await page({ before: 1 })).toEqual({ seqs: [], next: undefined });
    expect(await page({ before: 1000, limit: 2 })).toEqual({ seqs: [6, 7], next: '6' });
    expect(await page({ after: 0, limit: 3 })).toEqual({ seqs: [1, 2, 3], next: '3' });
    expect(await page({ after: 3, limit: 3 })).toEqual({ seqs: [4, 5, 6], next: '6' });
    expect(await page({ after: 6, limit: 3 })).toEqual({ seqs: [7], next: undefined });
    expect(await page({ after: 4, limit: 3 })).toEqual({ seqs: [5, 6, 7], next: undefined });
    expect(await page({ after: 7 })).toEqual({ seqs: [], next: undefined });
    expect(await page({ after: 99 })).toEqual({ seqs: [], next: undefined });
    expect(await page({ after: 2, before: 6 })).toEqual({ seqs: [3, 4, 5], next: undefined });
    expect(await page({ limit: 1 })).toEqual({ seqs: [7], next: '7' });
    const all = await bob.api.call(api.messages.list, { params: { id }, query: { after: 0, limit: 100 } });
    expect(all.items[0]).toMatchObject({ body: 'message 1', clientId: 'm1', files: [] });
  });

  it('answers cursors past the largest seq a chat can have as that seq, on either database', async () => {
    const { ann, id } = await chatWith(3);
    const get = async (qs: string) => {
      const res = await fetch(`${t().url}/api/v1/conversations/${id}/messages?${qs}`, { headers: { authorization: `Bearer ${ann.token}` } });
      expect(res.status, qs).toBe(200);
      return ((await res.json()) as { items: { seq: number }[] }).items.map((m) => m.seq);
    };
    // 2^31 and beyond do not fit PostgreSQL's integer column; compared as they are, they failed.
    expect(await get('after=2147483648')).toEqual([]);
    expect(await get('after=999999999999999')).toEqual([]);
    expect(await get('before=2147483648')).toEqual([1, 2, 3]);
    expect(await get('before=999999999999999&limit=2')).toEqual([2, 3]);
    expect(await get('changedAfter=2147483648')).toEqual([]);
  });

  it('refuses cursors and limits that are not whole numbers in range with 400', async () => {
    const { ann, id } = await chatWith(1);
    for (const qs of ['after=abc', 'after=-1', 'before=1.5', 'before=', 'after=1e3', 'limit=0', 'limit=101', 'limit=x', 'after=1&after=2', 'before=99999999999999999999']) {
      const res = await fetch(`${t().url}/api/v1/conversations/${id}/messages?${qs}`, { headers: { authorization: `Bearer ${ann.token}` } });
      expect(res.status, qs).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
  });

  it('lets only the author edit a message, and tells the members', async () => {
    const { ann, bob, id } = await chatWith(2);
    const [first] = (await ann.api.call(api.messages.list, { params: { id }, query: {} })).items;
    const rec = recordEvents(t());
    const edited = await ann.api.call(api.messages.edit, { params: { id, messageId: first!.id }, body: { body: 'fixed typo' } });
    rec.stop();
    expect(edited).toMatchObject({ id: first!.id, seq: 1, body: 'fixed typo', deletedAt: null });
    expect(edited.editedAt).toEqual(expect.any(String));
    const ev = rec.events.find((e) => e.event.type === 'message.updated');
    expect(ev?.event).toEqual({ type: 'message.updated', conversationId: id, message: edited });
    expect([...ev!.userIds].sort()).toEqual([ann.user.id, bob.user.id].sort());

    await expectApiError(bob.api.call(api.messages.edit, { params: { id, messageId: first!.id }, body: { body: 'not mine' } }), 403, 'forbidden');
    await expectApiError(ann.api.call(api.messages.edit, { params: { id, messageId: 'nosuchmessage' }, body: { body: 'x' } }), 404, 'not_found');
    await expectApiError(ann.api.call(api.messages.edit, { params: { id, messageId: first!.id }, body: { body: '  ' } }), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.messages.edit, { params: { id, messageId: first!.id }, body: { body: 'x'.repeat(16385) } }), 413, 'message_too_large');
    const eve = await makeUser(t());
    await expectApiError(eve.api.call(api.messages.edit, { params: { id, messageId: first!.id }, body: { body: 'x' } }), 404, 'not_found');
    const after = await bob.api.call(api.messages.list, { params: { id }, query: {} });
    expect(after.items[0]!.body).toBe('fixed typo');
  });

  it('deletes to a tombstone that keeps seq and deletedAt, author only', async () => {
    const { ann, bob, id } = await chatWith(3);
    const items = (await ann.api.call(api.messages.list, { params: { id }, query: {} })).items;
    const target = items[1]!;
    await expectApiError(bob.api.call(api.messages.remove, { params: { id, messageId: target.id } }), 403, 'forbidden');
    const rec = recordEvents(t());
    const tomb = await ann.api.call(api.messages.remove, { params: { id, messageId: target.id } });
    rec.stop();
    expect(tomb).toMatchObject({ id: target.id, seq: 2, body: '', files: [], clientId: target.clientId, senderId: ann.user.id });
    expect(tomb.deletedAt).toEqual(expect.any(String));
    expect(rec.events.map((e) => e.event)).toContainEqual({ type: 'message.deleted', conversationId: id, message: tomb });
    // Deleting again answers the same tombstone; editing it is refused.
    expect(await ann.api.call(api.messages.remove, { params: { id, messageId: target.id } })).toEqual(tomb);
    await expectApiError(ann.api.call(api.messages.edit, { params: { id, messageId: target.id }, body: { body: 'back' } }), 409, 'message_deleted');
    const history = await bob.api.call(api.messages.list, { params: { id }, query: {} });
    expect(history.items.map((m) => [m.seq, m.body])).toEqual([
      [1, 'message 1'],
      [2, ''],
      [3, 'message 3'],
    ]);
    // The seq is not reused.
    expect((await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'next' } })).seq).toBe(4);
  });

  it('moves the read cursor forward only, clamps past the end, and tells the members', async () => {
    const { ann, bob, id } = await chatWith(5);
    expect(await bob.api.call(api.conversations.get, { params: { id } })).toMatchObject({ unreadCount: 5, lastReadSeq: 0, lastSeq: 5 });
    expect(await ann.api.call(api.conversations.get, { params: { id } })).toMatchObject({ unreadCount: 0, lastReadSeq: 5 });

    const rec = recordEvents(t());
    expect(await bob.api.call(api.messages.read, { params: { id }, body: { seq: 3 } })).toEqual({ conversationId: id, lastReadSeq: 3, unreadCount: 2 });
    expect(rec.to(ann.user.id)).toContainEqual({ type: 'read', conversationId: id, userId: bob.user.id, seq: 3 });
    // The chat itself says how far each member has read (what a reloaded client shows as seen).
    const seen = (await ann.api.call(api.conversations.get, { params: { id } })).participants;
    expect(Object.fromEntries(seen.map((p) => [p.userId, p.lastReadSeq]))).toEqual({ [ann.user.id]: 5, [bob.user.id]: 3 });
    const before = rec.events.length;
    // Backwards is a no-op and tells nobody.
    expect(await bob.api.call(api.messages.read, { params: { id }, body: { seq: 1 } })).toEqual({ conversationId: id, lastReadSeq: 3, unreadCount: 2 });
    expect(rec.events.length).toBe(before);
    // Past the last message: clamped to it.
    expect(await bob.api.call(api.messages.read, { params: { id }, body: { seq: 1000 } })).toEqual({ conversationId: id, lastReadSeq: 5, unreadCount: 0 });
    rec.stop();
    expect(await bob.api.call(api.conversations.get, { params: { id } })).toMatchObject({ unreadCount: 0, lastReadSeq: 5 });
    for (const seq of [-1, 1.5, '3', null]) {
      await expectApiError(bob.api.call(api.messages.read, { params: { id }, body: { seq } as never }), 400, 'invalid_request');
    }
    // Replying reads everything up to one's own message.
    await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'six' } });
    await bob.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'seven' } });
    expect(await bob.api.call(api.conversations.get, { params: { id } })).toMatchObject({ unreadCount: 0, lastReadSeq: 7 });
    expect(await ann.api.call(api.conversations.get, { params: { id } })).toMatchObject({ unreadCount: 1, lastReadSeq: 6 });
  });
});

describeEachDb('chat list', (t) => {
  it('orders chats by last activity, pages them, and carries last message and unread counts', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const others = await Promise.all(Array.from({ length: 4 }, () => makeUser(t(), { org })));
    const convs: Conversation[] = [];
    for (const o of others) convs.push(await o.api.call(api.conversations.startDirect, { body: { email: me.email } }));
    const group = await others[0]!.api.call(api.conversations.create, { body: { title: 'All', memberIds: [me.user.id, others[1]!.user.id] } });
    // Activity: conv 2 gets two messages, then conv 0 one; conv 1 and 3 stay quiet.
    await others[2]!.api.call(api.messages.send, { params: { id: convs[2]!.id }, body: { clientId: 'a', body: 'two-1' } });
    await others[2]!.api.call(api.messages.send, { params: { id: convs[2]!.id }, body: { clientId: 'b', body: 'two-2' } });
    await new Promise((r) => setTimeout(r, 5));
    await others[0]!.api.call(api.messages.send, { params: { id: convs[0]!.id }, body: { clientId: 'c', body: 'zero-1' } });

    const all = await me.api.call(api.conversations.list, { query: { limit: 100 } });
    expect(all.next).toBeUndefined();
    const ids = all.items.map((c) => c.id);
    expect(ids.slice(0, 2)).toEqual([convs[0]!.id, convs[2]!.id]);
    expect(new Set(ids)).toEqual(new Set([...convs.map((c) => c.id), group.id]));
    const two = all.items.find((c) => c.id === convs[2]!.id)!;
    expect(two).toMatchObject({ unreadCount: 2, lastSeq: 2, lastReadSeq: 0, lastMessage: { body: 'two-2', seq: 2 } });
    expect(all.items.find((c) => c.id === convs[1]!.id)).toMatchObject({ unreadCount: 0, lastMessage: null });
    expect(all.items.find((c) => c.id === group.id)!.participants).toHaveLength(3);

    // Pages of two walk the same order with nothing missed or repeated.
    const walked: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await me.api.call(api.conversations.list, { query: cursor ? { limit: 2, cursor } : { limit: 2 } });
      expect(page.items.length).toBeLessThanOrEqual(2);
      walked.push(...page.items.map((c) => c.id));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(walked).toEqual(ids);
    expect(pages).toBe(3);

    await expectApiError(me.api.call(api.conversations.list, { query: { cursor: 'garbage' } }), 400, 'invalid_request');
    // Forged cursors of the right shape whose text no database could compare (a NUL: PostgreSQL
    // refuses it with an error), or that is not Unicode.
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [forged(['\u0000', 'x']), forged(['2024-01-01', 'a\u0000']), forged(['\ud800', 'x']), forged(['x'.repeat(301), 'x'])]) {
      await expectApiError(me.api.call(api.conversations.list, { query: { cursor } }), 400, 'invalid_request');
    }
    await expectApiError(me.api.call(api.conversations.list, { query: { limit: 0 } }), 400, 'invalid_request');
    await expectApiError(me.api.call(api.conversations.list, { query: { limit: 101 } }), 400, 'invalid_request');
  });

  /** Queries the server runs to answer one page of `user`'s chat list of `limit` chats. */
  async function listQueries(user: TestUser, limit: number): Promise<number> {
    let n = 0;
    const exec = t().ctx.db.getExecutor() as { executeQuery: (...args: unknown[]) => unknown };
    const original = exec.executeQuery;
    exec.executeQuery = (...args: unknown[]) => {
      n++;
      return original.apply(exec, args);
    };
    try {
      const page = await user.api.call(api.conversations.list, { query: { limit } });
      expect(page.items).toHaveLength(limit);
    } finally {
      exec.executeQuery = original;
    }
    return n;
  }

  // Group chats: the presenter's own loading (participants, last messages) must not grow with
  // the page.
  it('loads the list with a fixed number of queries, whatever the number of chats', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const others = await Promise.all(Array.from({ length: 12 }, () => makeUser(t(), { org })));
    for (const [i, o] of others.entries()) {
      const c = await o.api.call(api.conversations.create, { body: { title: `G${i}`, memberIds: [me.user.id, others[(i + 1) % others.length]!.user.id] } });
      await o.api.call(api.messages.send, { params: { id: c.id }, body: { clientId: 'x', body: 'hi' } });
    }
    // The first request of a session also loads the session (then cached for a few seconds).
    await listQueries(me, 1);
    expect(await listQueries(me, 12)).toBe(await listQueries(me, 2));
  });

  // Direct chats also pass through the cross-org rules: the other person, blocks and orgs are
  // loaded for the whole page, not per chat.
  it('loads a list of direct chats, with colleagues and other orgs, with a fixed number of queries', async () => {
    await t().ctx.settings.setStage('ga');
    t().ctx.settings.invalidate();
    const org = await makeOrg(t().ctx, { plan: 'channel_partner' });
    const me = await makeUser(t(), { org });
    const colleagues = await Promise.all(Array.from({ length: 6 }, () => makeUser(t(), { org })));
    const outsiders = await Promise.all(Array.from({ length: 6 }, () => makeUser(t(), { plan: 'basic' })));
    for (const o of [...colleagues, ...outsiders]) {
      const c = await me.api.call(api.conversations.startDirect, { body: { email: o.email } });
      expect(c.state).toBe('live');
      await me.api.call(api.messages.send, { params: { id: c.id }, body: { clientId: cid(), body: 'hi' } });
    }
    await listQueries(me, 1);
    // The newest two are both outsiders; twelve add colleagues and more outsiders' orgs, each org
    // read once.
    const two = await listQueries(me, 2);
    const twelve = await listQueries(me, 12);
    expect(twelve).toBe(two + 2 * 4);
    const page = await me.api.call(api.conversations.list, { query: { limit: 12 } });
    expect(page.items.every((c) => c.state === 'live')).toBe(true);
    expect(page.items.filter((c) => c.participants.some((p) => p.external))).toHaveLength(6);
  });
});
