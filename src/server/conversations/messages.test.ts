import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { startTestServer } from '../testing/server.js';
import { configureSendLimit, DEFAULT_SEND_LIMIT } from './rate-limit.js';
import { cid, expectApiError, recordEvents } from './test-helpers.js';

describeEachDb('messages: sending', (t) => {
  async function pair(): Promise<{ ann: TestUser; bob: TestUser; id: string }> {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    return { ann, bob, id: conv.id };
  }

  function post(u: TestUser, id: string, body: unknown): Promise<Response> {
    return fetch(`${t().url}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${u.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it('stores a message with seq 1, answers 201, and tells every member once', async () => {
    const { ann, bob, id } = await pair();
    const rec = recordEvents(t());
    const res = await post(ann, id, { clientId: 'first', body: 'Hello, Bob' });
    rec.stop();
    expect(res.status).toBe(201);
    const msg = (await res.json()) as Record<string, unknown>;
    expect(msg).toMatchObject({ conversationId: id, seq: 1, clientId: 'first', senderId: ann.user.id, body: 'Hello, Bob', files: [], editedAt: null, deletedAt: null });
    expect(typeof msg.id).toBe('string');
    const created = rec.events.filter((e) => e.event.type === 'message.created');
    expect(created).toHaveLength(1);
    expect([...created[0]!.userIds].sort()).toEqual([ann.user.id, bob.user.id].sort());
    expect(created[0]!.event).toEqual({ type: 'message.created', conversationId: id, message: msg });
  });

  it('stores text exactly: quotes, backslashes, braces, commas, newlines, emoji, right-to-left', async () => {
    const { ann, bob, id } = await pair();
    const tricky = ['{"a":1,"b":[2,3]}', 'back\\slash \\" quote\' \n line\r\n\ttab', 'NULL', '{}', ',', '😀 👩‍👩‍👧 مرحبا שלום', '  padded  '];
    const sent = await Promise.all(tricky.map((body, i) => ann.api.call(api.messages.send, { params: { id }, body: { clientId: `t${i}`, body } })));
    expect(sent.map((m) => m.body)).toEqual(tricky);
    const history = await bob.api.call(api.messages.list, { params: { id }, query: {} });
    expect(new Set(history.items.map((m) => m.body))).toEqual(new Set(tricky));
    // A lone surrogate cannot be stored as UTF-8: it becomes U+FFFD rather than an error.
    const lone = await ann.api.call(api.messages.send, { params: { id }, body: { clientId: 'lone', body: 'a\ud800b' } });
    expect(lone.body).toBe('a\ufffdb');
  });

  it('is idempotent on clientId: a retry answers the first message with 200', async () => {
    const { ann, bob, id } = await pair();
    const first = await post(ann, id, { clientId: 'retry-me', body: 'once' });
    const again = await post(ann, id, { clientId: 'retry-me', body: 'once (retried, body ignored)' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    const a = (await first.json()) as { id: string; seq: number };
    const b = (await again.json()) as { id: string; seq: number; body: string };
    expect(b).toMatchObject({ id: a.id, seq: a.seq, body: 'once' });
    // The same clientId from another person is another message.
    const theirs = await bob.api.call(api.messages.send, { params: { id }, body: { clientId: 'retry-me', body: 'mine' } });
    expect(theirs.seq).toBe(2);
    const history = await ann.api.call(api.messages.list, { params: { id }, query: {} });
    expect(history.items.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('makes one message from many concurrent sends of the same clientId', async () => {
    const { ann, id } = await pair();
    const responses = await Promise.all(Array.from({ length: 12 }, () => post(ann, id, { clientId: 'burst', body: 'hi' })));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { id: string; seq: number }[];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(11);
    const conv = await ann.api.call(api.conversations.get, { params: { id } });
    expect(conv.lastSeq).toBe(1);
  });

  it('numbers messages 1..N without gaps or duplicates with 20 concurrent senders', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const people = await Promise.all(Array.from({ length: 20 }, () => makeUser(t(), { org })));
    const conv = await people[0]!.api.call(api.conversations.create, { body: { title: 'Busy', memberIds: people.map((p) => p.user.id) } });
    // The group's creation note took the first seq.
    const base = conv.lastSeq;
    const per = 5;
    const sent = await Promise.all(
      people.flatMap((p) => Array.from({ length: per }, (_, i) => p.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `m${i}`, body: `${p.user.id} #${i}` } }))),
    );
    const n = people.length * per;
    expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => base + i + 1));
    const all = await people[1]!.api.call(api.messages.list, { params: { id: conv.id }, query: { after: base, limit: 100 } });
    expect(all.items.map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => base + i + 1));
    const seen = await people[1]!.api.call(api.conversations.get, { params: { id: conv.id } });
    expect(seen.lastSeq).toBe(base + n);
    // Each sender's own messages advanced their cursor: everything else above it is unread.
    expect(seen.unreadCount).toBe(base + n - seen.lastReadSeq);
    expect(seen.lastReadSeq).toBe(Math.max(...sent.filter((m) => m.senderId === people[1]!.user.id).map((m) => m.seq)));
  });

  it('keeps a clientId with a lone surrogate idempotent: the text is made well-formed once, on the way in', async () => {
    const { ann, id } = await pair();
    // JSON.stringify keeps a lone surrogate as the escape `\ud800`, as a careless client would send it.
    const first = await post(ann, id, { clientId: 'ls-\ud800', body: 'half \udc00 a pair' });
    expect(first.status).toBe(201);
    const a = (await first.json()) as { id: string; clientId: string; body: string };
    expect(a).toMatchObject({ clientId: 'ls-\ufffd', body: 'half \ufffd a pair' });
    for (let i = 0; i < 3; i++) {
      const again = await post(ann, id, { clientId: 'ls-\ud800', body: 'again' });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id: a.id, clientId: 'ls-\ufffd', body: 'half \ufffd a pair' });
    }
    // Read back from the database as it was answered, on either database.
    const history = await ann.api.call(api.messages.list, { params: { id }, query: {} });
    expect(history.items.map((m) => [m.clientId, m.body])).toEqual([['ls-\ufffd', 'half \ufffd a pair']]);
  });

  it('accepts a body of exactly 16 KiB in bytes and refuses one byte more with 413', async () => {
    const { ann, id } = await pair();
    const ascii = 'a'.repeat(16384);
    const emoji = '😀'.repeat(4096); // 4 bytes each
    const accented = 'é'.repeat(8192); // 2 bytes each
    for (const body of [ascii, emoji, accented]) {
      const m = await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body } });
      expect(m.body).toBe(body);
    }
    for (const body of [`${ascii}b`, `${emoji}a`, `${'€'.repeat(5461)}a€`]) {
      const e = await expectApiError(ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body } }), 413, 'message_too_large');
      expect(e.message).toMatch(/16 KiB/);
    }
    // 5461 × 3 = 16383 bytes fits; one more 2-byte character does not.
    await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: '€'.repeat(5461) } });
    await expectApiError(ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: `${'€'.repeat(5461)}é` } }), 413, 'message_too_large');
  });

  it('refuses bad input with 400 and stores nothing', async () => {
    const { ann, id } = await pair();
    const bad: unknown[] = [
      { clientId: 'x', body: 42 },
      { clientId: 'x', body: null },
      { clientId: 'x' },
      { clientId: 'x', body: '' },
      { clientId: 'x', body: ' \n\t ' },
      { clientId: '', body: 'hi' },
      { clientId: 'c'.repeat(65), body: 'hi' },
      { clientId: 7, body: 'hi' },
      { body: 'hi' },
      { clientId: 'x', body: 'nul \u0000 inside' },
      { clientId: 'x', body: 'hi', fileIds: ['nosuchfile'] },
      { clientId: 'x', body: 'hi', fileIds: 'nope' },
      { clientId: 'x', body: 'hi', extra: true },
    ];
    for (const b of bad) {
      const res = await post(ann, id, b);
      expect(res.status, JSON.stringify(b)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    const notJson = await fetch(`${t().url}/api/v1/conversations/${id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
      body: '{"clientId": "x", "body": ',
    });
    expect(notJson.status).toBe(400);
    expect((await ann.api.call(api.conversations.get, { params: { id } })).lastSeq).toBe(0);
    // A clientId of 64 characters is fine.
    expect(await ann.api.call(api.messages.send, { params: { id }, body: { clientId: 'c'.repeat(64), body: 'hi' } })).toMatchObject({ seq: 1 });
  });

  it('answers 404 to someone who is not in the chat, the same as for a chat that does not exist', async () => {
    const { id } = await pair();
    const eve = await makeUser(t());
    const notMine = await expectApiError(eve.api.call(api.messages.send, { params: { id }, body: { clientId: 'x', body: 'hi' } }), 404, 'not_found');
    const none = await expectApiError(eve.api.call(api.messages.send, { params: { id: 'doesnotexist123' }, body: { clientId: 'x', body: 'hi' } }), 404, 'not_found');
    expect(notMine.message).toBe(none.message);
    await expectApiError(eve.api.call(api.messages.list, { params: { id }, query: {} }), 404, 'not_found');
    await expectApiError(eve.api.call(api.messages.read, { params: { id }, body: { seq: 1 } }), 404, 'not_found');
    await expectApiError(t().anon().call(api.messages.send, { params: { id }, body: { clientId: 'x', body: 'hi' } }), 401, 'unauthenticated');
  });

  it('refuses to send into a chat that is not open, through the one send check', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.create, { body: { title: 'Closed', memberIds: [bob.user.id] } });
    await t().ctx.db.updateTable('conversations').set({ state: 'declined' }).where('id', '=', conv.id).execute();
    await expectApiError(ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: 'x', body: 'hi' } }), 409, 'conversation_not_live');
  });

  it('limits how fast one person sends: 429 with Retry-After, others unaffected', async () => {
    const { ann, bob, id } = await pair();
    configureSendLimit(t().ctx, { perSecond: 0.5, burst: 3 });
    try {
      for (let i = 0; i < 3; i++) await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: `n${i}` } });
      const res = await post(ann, id, { clientId: cid(), body: 'one too many' });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      expect((await post(bob, id, { clientId: cid(), body: 'I can still talk' })).status).toBe(201);
    } finally {
      configureSendLimit(t().ctx, DEFAULT_SEND_LIMIT);
    }
    expect((await ann.api.call(api.conversations.get, { params: { id } })).lastSeq).toBe(4);
  });

  it('numbers messages without gaps or duplicates when two servers share the database', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const people = await Promise.all(Array.from({ length: 10 }, () => makeUser(t(), { org })));
    const conv = await people[0]!.api.call(api.conversations.create, { body: { title: 'Two nodes', memberIds: people.map((p) => p.user.id) } });
    const base = conv.lastSeq;
    const other = await startTestServer(t().kind, { database: t().db });
    try {
      const sends = people.flatMap((p, i) =>
        Array.from({ length: 6 }, (_, k) => {
          const client = (i + k) % 2 === 0 ? p.api : other.client(p.token);
          return client.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `n${k}`, body: `from ${i}` } });
        }),
      );
      // The same clientIds again, on the other node: answered with the first messages.
      const retries = people.map((p, i) => (i % 2 === 0 ? other.client(p.token) : p.api).call(api.messages.send, { params: { id: conv.id }, body: { clientId: 'n0', body: 'again' } }));
      const [sent, again] = await Promise.all([Promise.all(sends), Promise.all(retries)]);
      expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => base + i + 1));
      const firstIds = new Map(sent.filter((m) => m.clientId === 'n0').map((m) => [m.senderId, m.id]));
      for (const m of again) expect(m.id).toBe(firstIds.get(m.senderId));
      expect((await people[3]!.api.call(api.conversations.get, { params: { id: conv.id } })).lastSeq).toBe(base + 60);
    } finally {
      await other.close();
    }
  });

  it('keeps a clientId idempotent in another server process on the same database (restart, second node)', async () => {
    const { ann, id } = await pair();
    const first = await ann.api.call(api.messages.send, { params: { id }, body: { clientId: 'survives', body: 'before restart' } });
    const other = await startTestServer(t().kind, { database: t().db });
    try {
      const res = await fetch(`${other.url}/api/v1/conversations/${id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'survives', body: 'after restart' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: first.id, seq: 1, body: 'before restart' });
    } finally {
      await other.close();
    }
  });
});
