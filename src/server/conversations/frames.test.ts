import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { ServerEvent } from '../../shared/events.js';
import { sleep, TestSocket } from '../realtime/test-socket.js';
import { uploadRaw } from '../files/test-helpers.js';
import { directPair } from './test-helpers.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser } from '../testing/factories.js';

type Sent = Extract<ServerEvent, { type: 'message.sent' }>;
type Failed = Extract<ServerEvent, { type: 'message.failed' }>;
type Created = Extract<ServerEvent, { type: 'message.created' }>;


const answerTo = (clientId: string) => (e: ServerEvent) => (e.type === 'message.sent' || e.type === 'message.failed') && e.clientId === clientId;
const createdWith = (clientId: string) => (e: ServerEvent) => e.type === 'message.created' && e.message.clientId === clientId;

describeEachDb('sending over the WebSocket (message.send)', (t) => {
  it('stores the message, answers the sending socket only with message.sent, and tells every other socket', async () => {
    const { a, b, conversationId } = await directPair(t());
    const a1 = await TestSocket.open(t().url, { token: a.token });
    const a2 = await TestSocket.open(t().url, { token: a.token });
    const b1 = await TestSocket.open(t().url, { token: b.token });
    const clientId = randomUUID();
    a1.send({ type: 'message.send', conversationId, clientId, body: 'hello over the socket' });
    const sent = await a1.next<Sent>(answerTo(clientId));
    expect(sent).toMatchObject({ type: 'message.sent', conversationId, clientId, created: true });
    expect(sent.message).toMatchObject({ conversationId, seq: 1, clientId, senderId: a.user.id, body: 'hello over the socket' });
    const atB = await b1.next<Created>(createdWith(clientId));
    const atA2 = await a2.next<Created>(createdWith(clientId));
    expect(atB.message).toEqual(sent.message);
    expect(atA2.message).toEqual(sent.message);
    // The same message over REST: one store, one presenter.
    const page = await b.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(page.items).toEqual([sent.message]);
    await sleep(100);
    expect(a1.count(createdWith(clientId))).toBe(0);
    for (const s of [a1, a2, b1]) s.close();
  });

  it('stores the frames of one socket in the order they were sent, however long each one takes to check', async () => {
    const { a, conversationId } = await directPair(t());
    const a1 = await TestSocket.open(t().url, { token: a.token });
    for (let round = 0; round < 5; round++) {
      // The first frame of each round carries files, whose checks take more queries than text's.
      const files = await Promise.all([1, 2, 3].map((i) => uploadRaw(t(), a, conversationId, `f${i}.txt`, Buffer.from(`file ${i}`))));
      const ids = Array.from({ length: 6 }, () => randomUUID());
      a1.send({ type: 'message.send', conversationId, clientId: ids[0]!, body: 'with files', fileIds: files.map((f) => f.json.id as string) });
      for (const clientId of ids.slice(1)) a1.send({ type: 'message.send', conversationId, clientId, body: 'text' });
      const answers = await Promise.all(ids.map((id) => a1.next<Sent>(answerTo(id))));
      const seqs = answers.map((m) => m.message.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    a1.close();
  });

  it('is idempotent on clientId like the HTTP send: a retry answers the first message, nothing new is published', async () => {
    const { a, b, conversationId } = await directPair(t());
    const a1 = await TestSocket.open(t().url, { token: a.token });
    const b1 = await TestSocket.open(t().url, { token: b.token });
    const clientId = randomUUID();
    a1.send({ type: 'message.send', conversationId, clientId, body: 'once' });
    const first = await a1.next<Sent>(answerTo(clientId));
    // The retry goes over HTTP this time: both ways of sending share the clientId space.
    const again = await fetch(`${t().url}/api/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, body: 'once' }),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(first.message.id);
    const a2 = await TestSocket.open(t().url, { token: a.token });
    a2.send({ type: 'message.send', conversationId, clientId, body: 'once' });
    const second = await a2.next<Sent>(answerTo(clientId));
    expect(second.created).toBe(false);
    expect(second.message.id).toBe(first.message.id);
    await b1.next(createdWith(clientId));
    await sleep(150);
    expect(b1.count(createdWith(clientId))).toBe(1);
    const page = await a.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(page.items).toHaveLength(1);
    for (const s of [a1, a2, b1]) s.close();
  });

  it('answers a chat one is not in, and one that does not exist, with the same 404', async () => {
    const { conversationId } = await directPair(t());
    const outsider = await makeUser(t());
    const s = await TestSocket.open(t().url, { token: outsider.token });
    const answers: Failed[] = [];
    for (const id of [conversationId, randomUUID()]) {
      const clientId = randomUUID();
      s.send({ type: 'message.send', conversationId: id, clientId, body: 'let me in' });
      answers.push(await s.next<Failed>(answerTo(clientId)));
    }
    for (const f of answers) {
      expect(f.type).toBe('message.failed');
      expect(f.status).toBe(404);
      expect(f.error.code).toBe('not_found');
    }
    expect(answers[0]!.error.message).toBe(answers[1]!.error.message);
    s.close();
  });

  it('takes the largest body in a frame whatever its escaping, and a lone surrogate as the HTTP send does', async () => {
    const { a, conversationId } = await directPair(t());
    const s = await TestSocket.open(t().url, { token: a.token });
    // 16 KiB of control characters: JSON escapes each to six bytes, a frame of about 96 KiB.
    const body = `a${'\u0001'.repeat(16 * 1024 - 1)}`;
    const big = randomUUID();
    s.send({ type: 'message.send', conversationId, clientId: big, body });
    const sent = await s.next<Sent>(answerTo(big));
    expect(sent).toMatchObject({ type: 'message.sent', created: true, message: { body } });
    // A clientId with a lone surrogate is made well-formed on the way in, so its retry matches.
    s.send({ type: 'message.send', conversationId, clientId: 'ws-\ud800', body: 'once' });
    const first = await s.next<Sent>(answerTo('ws-\ufffd'));
    s.send({ type: 'message.send', conversationId, clientId: 'ws-\ud800', body: 'again' });
    const retry = await s.next<Sent>((e) => answerTo('ws-\ufffd')(e) && e !== first);
    expect(first.created).toBe(true);
    expect(retry).toMatchObject({ type: 'message.sent', created: false, message: { id: first.message.id, body: 'once' } });
    s.close();
  });

  it('refuses bad frames with the HTTP send errors and keeps the socket open', async () => {
    const { a, conversationId } = await directPair(t());
    const s = await TestSocket.open(t().url, { token: a.token });
    const cases: { frame: Record<string, unknown>; status: number; code: string }[] = [
      { frame: { conversationId, clientId: 'c-body-number', body: 42 }, status: 400, code: 'invalid_request' },
      { frame: { conversationId, clientId: 'c-extra', body: 'x', admin: true }, status: 400, code: 'invalid_request' },
      { frame: { conversationId: 7, clientId: 'c-conv-number', body: 'x' }, status: 400, code: 'invalid_request' },
      { frame: { conversationId, clientId: '', body: 'x' }, status: 400, code: 'invalid_request' },
      { frame: { conversationId, clientId: 'c-empty', body: '   ' }, status: 400, code: 'invalid_request' },
      { frame: { conversationId, clientId: 'c-big', body: 'é'.repeat(9000) }, status: 413, code: 'message_too_large' },
    ];
    for (const c of cases) {
      s.send({ type: 'message.send', ...c.frame });
      const id = typeof c.frame.clientId === 'string' ? c.frame.clientId : '';
      const f = await s.next<Failed>((e) => e.type === 'message.failed' && e.clientId === id);
      expect(f.status, JSON.stringify(c.frame).slice(0, 80)).toBe(c.status);
      expect(f.error.code).toBe(c.code);
    }
    const ok = randomUUID();
    s.send({ type: 'message.send', conversationId, clientId: ok, body: 'still here' });
    expect((await s.next<Sent>(answerTo(ok))).created).toBe(true);
    const page = await a.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(page.items.map((m) => m.body)).toEqual(['still here']);
    s.close();
  });

  it('applies the per-user send rate limit with a clear 429 and loses nothing it acknowledged', async () => {
    const { a, conversationId } = await directPair(t());
    const s = await TestSocket.open(t().url, { token: a.token });
    const ids = Array.from({ length: 160 }, () => randomUUID());
    for (const clientId of ids) s.send({ type: 'message.send', conversationId, clientId, body: `n ${clientId}` });
    const answers = await Promise.all(ids.map((id) => s.next<Sent | Failed>(answerTo(id), 10_000)));
    const sent = answers.filter((x): x is Sent => x.type === 'message.sent');
    const limited = answers.filter((x): x is Failed => x.type === 'message.failed');
    expect(limited.length).toBeGreaterThan(0);
    for (const f of limited) {
      expect(f.status).toBe(429);
      expect(f.error.code).toBe('rate_limited');
    }
    const seqs = sent.map((x) => x.message.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: sent.length }, (_, i) => i + 1));
    const stored = await a.api.call(api.messages.list, { params: { id: conversationId }, query: { limit: 100, after: 0 } });
    expect(stored.items.length).toBe(Math.min(100, sent.length));
    s.close();
  });

  it('closes the socket with 4001 instead of sending once its session has ended', async () => {
    const { a, b, conversationId } = await directPair(t());
    const s = await TestSocket.open(t().url, { token: a.token });
    const watcher = await TestSocket.open(t().url, { token: b.token });
    await a.api.call(api.auth.logout, {});
    const clientId = randomUUID();
    s.send({ type: 'message.send', conversationId, clientId, body: 'after logout' });
    expect((await s.closed).code).toBe(4001);
    await sleep(100);
    expect(watcher.count(createdWith(clientId))).toBe(0);
    const page = await b.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(page.items).toHaveLength(0);
    watcher.close();
  });
});

describe('message.send frame schema', () => {
  it('is the HTTP send body plus the conversation', () => {
    const ok = api.messages.sendFrame.safeParse({ type: 'message.send', conversationId: randomUUID(), clientId: 'c', body: 'b' });
    expect(ok.success).toBe(true);
    expect(api.messages.sendFrame.safeParse({ type: 'typing', conversationId: randomUUID(), clientId: 'c', body: 'b' }).success).toBe(false);
    expect(api.messages.sendFrame.safeParse({ type: 'message.send', conversationId: randomUUID(), clientId: 'c', body: 'b', fileIds: Array(21).fill(randomUUID()) }).success).toBe(false);
  });
});
