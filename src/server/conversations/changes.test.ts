import { expect, it } from 'vitest';
import { api, type Message } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { cid, expectApiError, recordEvents } from './test-helpers.js';

describeEachDb('messages: changes since a change number', (t) => {
  async function chatWith(n: number): Promise<{ ann: TestUser; bob: TestUser; id: string; sent: Message[] }> {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    const sent: Message[] = [];
    for (let i = 1; i <= n; i++) sent.push(await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `m${i}`, body: `message ${i}` } }));
    return { ann, bob, id: conv.id, sent };
  }

  const edit = (u: TestUser, id: string, m: Message, body: string) => u.api.call(api.messages.edit, { params: { id, messageId: m.id }, body: { body } });
  const remove = (u: TestUser, id: string, m: Message) => u.api.call(api.messages.remove, { params: { id, messageId: m.id } });
  const changes = async (u: TestUser, id: string, changedAfter: number, limit?: number) => {
    const r = await u.api.call(api.messages.list, { params: { id }, query: limit ? { changedAfter, limit } : { changedAfter } });
    return { items: r.items.map((m) => [m.seq, m.changeSeq, m.body]), next: r.next };
  };
  const lastChangeSeq = async (u: TestUser, id: string) => (await u.api.call(api.conversations.get, { params: { id } })).lastChangeSeq;

  it('tells concurrent edits and deletions in the order of their numbers, each with its own state', async () => {
    // A race: several rounds, so that a wrong order has many chances to show.
    for (let round = 0; round < 4; round++) {
      const { ann, bob, id, sent } = await chatWith(12);
      const rec = recordEvents(t());
      const answers = await Promise.all([
        ...sent.slice(0, 10).map((m, i) => edit(ann, id, m, `edited ${i}`)),
        ...[1, 2, 3, 4].map((k) => edit(ann, id, sent[10]!, `again ${k}`)),
        remove(ann, id, sent[11]!),
      ]);
      rec.stop();
      const told = rec.to(bob.user.id).flatMap((e) => (e.type === 'message.updated' || e.type === 'message.deleted' ? [e.message] : []));
      expect(told.map((m) => m.changeSeq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      // Each change is told as its own answer was: change N never carries a later change's text.
      const byNumber = new Map(answers.map((m) => [m.changeSeq, m]));
      for (const m of told) expect(m).toEqual(byNumber.get(m.changeSeq));
    }
  });

  it('does not count a deleted message as unread: the chat, the chat list, a read answer, the Today feed and chat events agree', async () => {
    const { ann, bob, id, sent } = await chatWith(5);
    const unreadFor = async (u: TestUser) => {
      const one = (await u.api.call(api.conversations.get, { params: { id } })).unreadCount;
      const listed = (await u.api.call(api.conversations.list, { query: { limit: 100 } })).items.find((c) => c.id === id)!.unreadCount;
      const feed = (await u.api.call(api.activity.feed, { query: { limit: 50 } })).items.find((e) => e.conversationId === id)?.unreadCount;
      expect(new Set([one, listed, feed])).toEqual(new Set([one]));
      return one;
    };
    expect(await unreadFor(bob)).toBe(5);
    await remove(ann, id, sent[1]!);
    await remove(ann, id, sent[3]!);
    expect(await unreadFor(bob)).toBe(3);
    // The sender's own count does not move, and a deletion already read is not taken off.
    expect(await unreadFor(ann)).toBe(0);
    const read = await bob.api.call(api.messages.read, { params: { id }, body: { seq: 3 } });
    expect(read).toMatchObject({ lastReadSeq: 3, unreadCount: 1 });
    expect(await unreadFor(bob)).toBe(1);
    await remove(ann, id, sent[0]!);
    expect(await unreadFor(bob)).toBe(1);
    // A conversation event (here: a rename of the group they share) counts the same way.
    const group = await ann.api.call(api.conversations.create, { body: { title: 'g', memberIds: [bob.user.id] } });
    const note = await ann.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: 'g1', body: 'to delete' } });
    await remove(ann, group.id, note);
    const rec = recordEvents(t());
    await ann.api.call(api.conversations.update, { params: { id: group.id }, body: { title: 'renamed' } });
    rec.stop();
    const told = rec.to(bob.user.id).find((e) => e.type === 'conversation.updated');
    // The rename is stored with its note (seq 3): unread for Bob are the two notes, not the deleted message.
    expect(told).toMatchObject({ type: 'conversation.updated', conversation: { id: group.id, lastSeq: 3, unreadCount: 2 } });
  });

  it('numbers each edit and deletion of a conversation, and the answers and events carry the number', async () => {
    const { ann, bob, id, sent } = await chatWith(3);
    expect(sent.map((m) => m.changeSeq)).toEqual([0, 0, 0]);
    expect(await lastChangeSeq(bob, id)).toBe(0);

    const rec = recordEvents(t());
    const e1 = await edit(ann, id, sent[0]!, 'first edit');
    const e2 = await edit(ann, id, sent[0]!, 'second edit');
    const tomb = await remove(ann, id, sent[1]!);
    rec.stop();
    expect([e1.changeSeq, e2.changeSeq, tomb.changeSeq]).toEqual([1, 2, 3]);
    expect(rec.to(bob.user.id).filter((e) => e.type !== 'read')).toEqual([
      { type: 'message.updated', conversationId: id, message: e1 },
      { type: 'message.updated', conversationId: id, message: e2 },
      { type: 'message.deleted', conversationId: id, message: tomb },
    ]);

    // Deleting again, or editing the tombstone, changes nothing and takes no number.
    expect(await remove(ann, id, sent[1]!)).toEqual(tomb);
    await expectApiError(edit(ann, id, sent[1]!, 'back'), 409, 'message_deleted');
    expect(await lastChangeSeq(bob, id)).toBe(3);
    const list = await bob.api.call(api.conversations.list, { query: {} });
    expect(list.items.find((c) => c.id === id)).toMatchObject({ lastChangeSeq: 3, lastSeq: 3 });
    // History shows each message's latest change; a new message starts at 0.
    const next = await ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'four' } });
    expect(next).toMatchObject({ seq: 4, changeSeq: 0 });
    const history = await bob.api.call(api.messages.list, { params: { id }, query: {} });
    expect(history.items.map((m) => [m.seq, m.changeSeq])).toEqual([
      [1, 2],
      [2, 3],
      [3, 0],
      [4, 0],
    ]);

    // Every conversation counts its own changes.
    const other = await chatWith(1);
    expect((await edit(other.ann, other.id, other.sent[0]!, 'elsewhere')).changeSeq).toBe(1);
    expect(await lastChangeSeq(bob, id)).toBe(3);
  });

  it('pages changedAfter by ascending changeSeq, each message once in its current state, with next', async () => {
    const { ann, bob, id, sent } = await chatWith(6);
    for (const m of sent.slice(0, 4)) await edit(ann, id, m, `edited ${m.seq}`); // changes 1-4
    await edit(ann, id, sent[0]!, 'edited 1 again'); // 5: message 1 moves to the end
    await remove(ann, id, sent[4]!); // 6

    expect(await changes(bob, id, 0, 2)).toEqual({
      items: [
        [2, 2, 'edited 2'],
        [3, 3, 'edited 3'],
      ],
      next: '3',
    });
    expect(await changes(bob, id, 3, 2)).toEqual({
      items: [
        [4, 4, 'edited 4'],
        [1, 5, 'edited 1 again'],
      ],
      next: '5',
    });
    expect(await changes(bob, id, 5, 2)).toEqual({ items: [[5, 6, '']], next: undefined });
    expect(await changes(bob, id, 6)).toEqual({ items: [], next: undefined });
    expect(await changes(bob, id, 99)).toEqual({ items: [], next: undefined });
    const all = await bob.api.call(api.messages.list, { params: { id }, query: { changedAfter: 0 } });
    expect(all.items.map((m) => m.seq)).toEqual([2, 3, 4, 1, 5]);
    expect(all.items[4]).toMatchObject({ seq: 5, body: '', files: [], deletedAt: expect.any(String) });

    // The history cursors answer as before.
    const after = await bob.api.call(api.messages.list, { params: { id }, query: { after: 0, limit: 3 } });
    expect({ seqs: after.items.map((m) => m.seq), next: after.next }).toEqual({ seqs: [1, 2, 3], next: '3' });
  });

  it('refuses changedAfter values that are not whole numbers, and its combination with before or after, with 400', async () => {
    const { ann, id } = await chatWith(1);
    for (const qs of ['changedAfter=abc', 'changedAfter=-1', 'changedAfter=1.5', 'changedAfter=', 'changedAfter=1e3', 'changedAfter=1&changedAfter=2', 'changedAfter=0&after=0', 'changedAfter=0&before=5']) {
      const res = await fetch(`${t().url}/api/v1/conversations/${id}/messages?${qs}`, { headers: { authorization: `Bearer ${ann.token}` } });
      expect(res.status, qs).toBe(400);
      const body = (await res.json()) as { error: { code: string; issues?: { path: string }[] } };
      expect(body.error.code, qs).toBe('invalid_request');
      expect(body.error.issues?.[0]?.path, qs).toBe('query.changedAfter');
    }
    await expectApiError(ann.api.call(api.messages.list, { params: { id }, query: { changedAfter: 0, after: 1 } }), 400, 'invalid_request');
  });

  it('answers 404 to someone who is not a member, as for history', async () => {
    const { ann, id, sent } = await chatWith(1);
    await edit(ann, id, sent[0]!, 'secret edit');
    const eve = await makeUser(t());
    await expectApiError(eve.api.call(api.messages.list, { params: { id }, query: { changedAfter: 0 } }), 404, 'not_found');
    await expectApiError(eve.api.call(api.messages.list, { params: { id: 'nosuchchat' }, query: { changedAfter: 0 } }), 404, 'not_found');
  });

  it('gives concurrent changes distinct numbers without gaps', async () => {
    const { ann, bob, id, sent } = await chatWith(12);
    // Ten edits at once, of ten messages, and the same message deleted twice at once.
    const [edits, deletes] = await Promise.all([
      Promise.all(sent.slice(0, 10).map((m) => edit(ann, id, m, `concurrent ${m.seq}`))),
      Promise.all([remove(ann, id, sent[11]!), remove(ann, id, sent[11]!)]),
    ]);
    const numbers = [...edits.map((m) => m.changeSeq), deletes[0]!.changeSeq].sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(deletes[1]).toEqual(deletes[0]);
    expect(await lastChangeSeq(bob, id)).toBe(11);
    const all = await bob.api.call(api.messages.list, { params: { id }, query: { changedAfter: 0 } });
    expect(all.items.map((m) => m.changeSeq)).toEqual(numbers);
    expect(new Set(all.items.map((m) => m.seq))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]));
  });
});
