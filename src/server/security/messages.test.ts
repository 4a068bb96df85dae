import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { ServerEvent } from '../../shared/events.js';
import { ApiError } from '../../shared/client.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { cid, expectContractError, raw, uploadFile } from './helpers.js';

async function trio(t: TestServer) {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const a = await makeUser(t, { org });
  const b = await makeUser(t, { org });
  const c = await makeUser(t, { org });
  const group = await a.api.call(api.conversations.create, { body: { title: 'Messages', memberIds: [b.user.id, c.user.id] } });
  const direct = await a.api.call(api.conversations.startDirect, { body: { email: b.email } });
  return { a, b, c, group, direct };
}

async function sendRaw(t: TestServer, token: string, conversationId: string, body: string) {
  return raw(t, 'POST', `/api/v1/conversations/${conversationId}/messages`, { token, headers: { 'content-type': 'application/json' }, body });
}

describeEachDb('security: messages', (t) => {
  it('answers a reused clientId per design.md: same sender and chat → the first message; other senders and chats never collide', async () => {
    const { a, b, group, direct } = await trio(t());
    const id = cid();
    const first = await sendRaw(t(), a.token, group.id, JSON.stringify({ clientId: id, body: 'first' }));
    expect(first.status).toBe(201);
    const retry = await sendRaw(t(), a.token, group.id, JSON.stringify({ clientId: id, body: 'a different body' }));
    expect(retry.status).toBe(200);
    expect(retry.json).toEqual(first.json);
    const fromB = await sendRaw(t(), b.token, group.id, JSON.stringify({ clientId: id, body: 'from b' }));
    expect(fromB.status).toBe(201);
    const elsewhere = await sendRaw(t(), a.token, direct.id, JSON.stringify({ clientId: id, body: 'elsewhere' }));
    expect(elsewhere.status).toBe(201);
    const ids = [first, fromB, elsewhere].map((r) => (r.json as { id: string }).id);
    expect(new Set(ids).size).toBe(3);
    // After the group's creation note (seq 1).
    const history = await a.api.call(api.messages.list, { params: { id: group.id }, query: { after: 1 } });
    expect(history.items.map((m) => [m.seq, m.senderId, m.body])).toEqual([
      [2, a.user.id, 'first'],
      [3, b.user.id, 'from b'],
    ]);
    // Many concurrent retries of one new clientId make exactly one message.
    const again = cid();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => sendRaw(t(), a.token, group.id, JSON.stringify({ clientId: again, body: `race ${i}` }))));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(new Set(answers.map((r) => (r.json as { id: string }).id)).size).toBe(1);
    const after = await a.api.call(api.messages.list, { params: { id: group.id }, query: { after: 1 } });
    expect(after.items.map((m) => m.seq)).toEqual([2, 3, 4]);
  });

  it('never leaves a body (or a later update event) on a message after a racing delete', async () => {
    const { a, b, group } = await trio(t());
    const events: { type: string; id: string; body: string }[] = [];
    const stop = t().ctx.events.subscribe((_u, e: ServerEvent) => {
      if (e.type === 'message.updated' || e.type === 'message.deleted') events.push({ type: e.type, id: e.message.id, body: e.message.body });
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 15; i++) {
        const fileId = await uploadFile(t(), a, group.id, `race-${i}.txt`, `race ${i}`);
        const m = await a.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: `original ${i}`, fileIds: [fileId] } });
        ids.push(m.id);
        const edit = (n: number) => a.api.call(api.messages.edit, { params: { id: group.id, messageId: m.id }, body: { body: `edit ${i}.${n}` } });
        const results = await Promise.allSettled([edit(1), a.api.call(api.messages.remove, { params: { id: group.id, messageId: m.id } }), edit(2), edit(3)]);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(ApiError);
            expect((r.reason as ApiError).code).toBe('message_deleted');
          }
        }
        await expect(edit(4)).rejects.toMatchObject({ status: 409, code: 'message_deleted' });
      }
      const history = await b.api.call(api.messages.list, { params: { id: group.id } });
      expect(history.items.filter((m) => !m.system).map((m) => m.id)).toEqual(ids);
      for (const m of history.items.filter((x) => !x.system)) {
        expect(m.deletedAt).toBeTruthy();
        expect(m.body).toBe('');
        expect(m.files).toEqual([]);
      }
      const rows = await t().ctx.db.selectFrom('messages').select(['id', 'body', 'deleted_at']).where('id', 'in', ids).execute();
      expect(rows.every((r) => r.body === '' && r.deleted_at !== null)).toBe(true);
      const files = await b.api.call(api.files.listForConversation, { params: { id: group.id } });
      expect(files.items).toEqual([]);
      // The last event heard of each message is its deletion: a client applying events in order
      // must not bring the text back.
      for (const id of ids) {
        const mine = events.filter((e) => e.id === id);
        expect(mine.at(-1), `events of ${id}: ${JSON.stringify(mine)}`).toMatchObject({ type: 'message.deleted', body: '' });
      }
    } finally {
      stop();
    }
  });

  it('refuses NUL bytes and replaces lone surrogates, keeping real pairs', async () => {
    const { a, group } = await trio(t());
    for (const body of [
      JSON.stringify({ clientId: cid(), body: 'a\u0000b' }),
      JSON.stringify({ clientId: `x\u0000y`, body: 'ok' }),
      JSON.stringify({ clientId: cid(), body: '\u0000' }),
    ]) {
      const res = await sendRaw(t(), a.token, group.id, body);
      expect(res.status, body).toBe(400);
      expect(expectContractError(res, body)).toBe('invalid_request');
    }
    // Escapes only JSON can carry: a lone high and a lone low surrogate.
    const lone = await sendRaw(t(), a.token, group.id, `{"clientId":"${cid()}","body":"a\\ud800b\\udc00c 😀"}`);
    expect(lone.status).toBe(201);
    expect((lone.json as { body: string }).body).toBe('a\uFFFDb\uFFFDc 😀');
    const history = await a.api.call(api.messages.list, { params: { id: group.id } });
    expect(history.items.at(-1)!.body).toBe('a\uFFFDb\uFFFDc 😀');
    const nulEdit = await raw(t(), 'PATCH', `/api/v1/conversations/${group.id}/messages/${history.items.at(-1)!.id}`, {
      token: a.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'x\u0000' }),
    });
    expect(nulEdit.status).toBe(400);
  });

  it('measures the 16 KiB limit in UTF-8 bytes, on send and on edit', async () => {
    const { a, group } = await trio(t());
    const cases: [string, number][] = [
      ['x'.repeat(16 * 1024), 201],
      ['x'.repeat(16 * 1024 + 1), 413],
      ['€'.repeat(5461), 201], // 16,383 bytes
      ['€'.repeat(5462), 413], // 16,386 bytes, 5,462 characters
      ['😀'.repeat(4096), 201], // 16,384 bytes
      ['😀'.repeat(4097), 413],
      ['\ud800'.repeat(5462), 413], // each becomes U+FFFD: 3 bytes
    ];
    let sent = '';
    for (const [body, status] of cases) {
      const res = await sendRaw(t(), a.token, group.id, JSON.stringify({ clientId: cid(), body }));
      expect(res.status, `${body.length} characters`).toBe(status);
      if (status === 413) expect(expectContractError(res, 'too large')).toBe('message_too_large');
      else sent = (res.json as { id: string }).id;
    }
    const edit = await raw(t(), 'PATCH', `/api/v1/conversations/${group.id}/messages/${sent}`, {
      token: a.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ body: '€'.repeat(5462) }),
    });
    expect(edit.status).toBe(413);
    expect(expectContractError(edit, 'edit too large')).toBe('message_too_large');
    const history = await a.api.call(api.messages.list, { params: { id: group.id } });
    expect(history.items.find((m) => m.id === sent)!.body).toBe('😀'.repeat(4096));
  });

  it('lets nobody but the author change a message, and answers 404 for a message of another chat', async () => {
    const { a, b, group, direct } = await trio(t());
    const m = await a.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'mine' } });
    await expect(b.api.call(api.messages.edit, { params: { id: group.id, messageId: m.id }, body: { body: 'yours now' } })).rejects.toMatchObject({ status: 403 });
    await expect(b.api.call(api.messages.remove, { params: { id: group.id, messageId: m.id } })).rejects.toMatchObject({ status: 403 });
    // The message id under a chat it does not belong to, even one the author is in.
    await expect(a.api.call(api.messages.edit, { params: { id: direct.id, messageId: m.id }, body: { body: 'moved' } })).rejects.toMatchObject({ status: 404 });
    await expect(a.api.call(api.messages.remove, { params: { id: direct.id, messageId: m.id } })).rejects.toMatchObject({ status: 404 });
    const history = await a.api.call(api.messages.list, { params: { id: group.id } });
    expect(history.items.at(-1)).toMatchObject({ id: m.id, body: 'mine', deletedAt: null });
  });
});
