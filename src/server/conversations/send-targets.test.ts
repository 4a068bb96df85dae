import { afterEach, describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { openDatabase, type Db } from '../db/index.js';
import { OUTSIDE_CHECK_MS } from '../db/outside-writes.js';
import { nowIso } from '../db/util.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { checkSendTarget, sameSendTarget, type SendTarget } from './access.js';
import { SEND_TARGET_TTL_MS, SendTargetCache, sendTargetCache } from './send-targets.js';
import { cid, directPair, expectApiError } from './test-helpers.js';

describe('SendTargetCache', () => {
  it('answers an entry until it is ttlMs old', () => {
    const c = new SendTargetCache<string>(1000, 100);
    c.set('conv', 'ann', 'target', 'bob', 5000);
    expect(c.get('conv', 'ann', 5999)).toBe('target');
    expect(c.get('conv', 'bob', 5999)).toBeUndefined();
    expect(c.get('conv', 'ann', 6000)).toBeUndefined();
  });

  it('a reload that is the same keeps the first value and starts its age over; a different one replaces it', () => {
    const c = new SendTargetCache<{ v: number }>(1000, 100);
    const sameV = (a: { v: number }, b: { v: number }) => a.v === b.v;
    const first = { v: 1 };
    expect(c.set('conv', 'ann', first, 'bob', 0, sameV)).toBe(first);
    // Expired, then reloaded unchanged: the first object is answered and remembered anew.
    expect(c.get('conv', 'ann', 1500)).toBeUndefined();
    expect(c.set('conv', 'ann', { v: 1 }, 'bob', 1500, sameV)).toBe(first);
    expect(c.get('conv', 'ann', 2400)).toBe(first);
    // A change replaces it, and so does another other person (the rules' view of the chat).
    const changed = { v: 2 };
    expect(c.set('conv', 'ann', changed, 'bob', 3000, sameV)).toBe(changed);
    const moved = { v: 2 };
    expect(c.set('conv', 'ann', moved, 'cat', 3100, sameV)).toBe(moved);
    // Without a comparison every load replaces.
    const plain = { v: 2 };
    expect(c.set('conv', 'ann', plain, 'cat', 3200)).toBe(plain);
    expect(c.get('conv', 'ann', 3300)).toBe(plain);
    expect(c.entries).toBe(1);
  });

  it('forgets a conversation for all its senders, and only that one', () => {
    const c = new SendTargetCache<string>(1000, 100);
    c.set('one', 'ann', 'a1', 'bob', 0);
    c.set('one', 'bob', 'b1', 'ann', 0);
    c.set('two', 'ann', 'a2', null, 0);
    c.forgetConversation('one');
    expect([c.get('one', 'ann', 1), c.get('one', 'bob', 1), c.get('two', 'ann', 1)]).toEqual([undefined, undefined, 'a2']);
    expect(c.entries).toBe(1);
  });

  it('forgets people both as senders and as the other person of a direct chat', () => {
    const c = new SendTargetCache<string>(1000, 100);
    c.set('ab', 'ann', 'ann→bob', 'bob', 0);
    c.set('ab', 'bob', 'bob→ann', 'ann', 0);
    c.set('cd', 'cat', 'cat→dan', 'dan', 0);
    c.set('group', 'eve', 'eve in group', null, 0);
    c.forgetPeople(['bob']);
    expect(c.get('ab', 'ann', 1)).toBeUndefined();
    expect(c.get('ab', 'bob', 1)).toBeUndefined();
    expect(c.get('cd', 'cat', 1)).toBe('cat→dan');
    expect(c.get('group', 'eve', 1)).toBe('eve in group');
    expect(c.entries).toBe(2);
  });

  it('does not answer an entry remembered before an outside write', () => {
    let version = 1;
    const c = new SendTargetCache<string>(1000, 100, () => version);
    c.set('conv', 'ann', 'target', 'bob', 0);
    expect(c.get('conv', 'ann', 10)).toBe('target');
    version = 2;
    expect(c.get('conv', 'ann', 20)).toBeUndefined();
    // Reloaded unchanged under the new version: answered again.
    expect(c.set('conv', 'ann', 'target', 'bob', 30, (a, b) => a === b)).toBe('target');
    expect(c.get('conv', 'ann', 40)).toBe('target');
  });

  it('stays within its bound', () => {
    const c = new SendTargetCache<number>(1000, 3);
    for (let i = 0; i < 10; i++) c.set(`conv${i}`, 'ann', i, null, 0);
    expect(c.entries).toBeLessThanOrEqual(3);
    expect(c.get('conv9', 'ann', 1)).toBe(9);
  });
});

describeEachDb('sending from a remembered send target', (t, kind) => {
  let other: Db | null = null;
  afterEach(async () => {
    await other?.close();
    other = null;
  });

  if (kind === 'sqlite')
  it('a chat changed by another process is seen within moments, long before the entry would expire', async () => {
    const { a, conversationId } = await directPair(t());
    const first = await checkSendTarget(t().ctx, conversationId, a.user.id);
    expect(await checkSendTarget(t().ctx, conversationId, a.user.id)).toBe(first);
    other = openDatabase(t().db.url);
    await other.kysely.updateTable('conversations').set({ state: 'request' }).where('id', '=', conversationId).execute();
    await new Promise((r) => setTimeout(r, OUTSIDE_CHECK_MS + 20));
    const changed = await checkSendTarget(t().ctx, conversationId, a.user.id);
    expect(changed.conv.state).toBe('request');
    expect(sendTargetCache(t().ctx).ttlMs).toBeGreaterThan(SEND_TARGET_TTL_MS);
  });

  it('a reload finding only new counters keeps the remembered target; any other change is seen', async () => {
    const { a, conversationId } = await directPair(t());
    const first = await checkSendTarget(t().ctx, conversationId, a.user.id);
    const age = () => {
      // As if `ttlMs` had passed: the same entry, remembered long ago.
      sendTargetCache<SendTarget>(t().ctx).set(conversationId, a.user.id, first, first.other?.id ?? null, Date.now() - 60_000);
    };
    await a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: 'moves the counters' } });
    age();
    const reloaded = await checkSendTarget(t().ctx, conversationId, a.user.id);
    expect(reloaded).toBe(first);
    // What the rules decide on changes behind the node's back: the reload answers it.
    await t().ctx.db.updateTable('conversations').set({ state: 'request' }).where('id', '=', conversationId).execute();
    age();
    const changed = await checkSendTarget(t().ctx, conversationId, a.user.id);
    expect(changed).not.toBe(first);
    expect(changed.conv.state).toBe('request');
    expect(sameSendTarget(first, changed)).toBe(false);
    expect(sameSendTarget(first, { ...first, conv: { ...first.conv, last_seq: first.conv.last_seq + 5 } })).toBe(true);
    expect(sameSendTarget(first, { ...first, other: null })).toBe(false);
  });

  it('a member taken out without any event cannot send: membership is decided where the message is stored', async () => {
    const { a, b, conversationId } = await directPair(t());
    // The first send loads (and remembers) the send target.
    await a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: 'first' } });
    // Taken out behind the node's back (as another process would): no event tells this node.
    await t().ctx.db.updateTable('conversation_members').set({ left_at: nowIso() }).where('conversation_id', '=', conversationId).where('user_id', '=', a.user.id).execute();
    await expectApiError(a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: 'after' } }), 404, 'not_found');
    const history = await b.api.call(api.messages.list, { params: { id: conversationId }, query: {} });
    expect(history.items.map((m) => m.body)).toEqual(['first']);
  });

  it('a member removed from a group cannot send the moment the removal is answered', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const [ann, bob, cat] = [await makeUser(t(), { org }), await makeUser(t(), { org }), await makeUser(t(), { org })];
    const group = await ann.api.call(api.conversations.create, { body: { title: 'Launch', memberIds: [bob.user.id, cat.user.id] } });
    await bob.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'hello' } });
    await ann.api.call(api.conversations.removeMember, { params: { id: group.id, userId: bob.user.id } });
    await expectApiError(bob.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'still here?' } }), 404, 'not_found');
    // The others still send (after the notes of the creation and the removal).
    const m = await cat.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'yes' } });
    expect(m.seq).toBe(4);
  });

  it('a deactivated person cannot be messaged at once after a send, and can be again at once after reactivation', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const [ann, bob] = [await makeUser(t(), { org }), await makeUser(t(), { org })];
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'before' } });
    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: bob.user.id } });
    await expectApiError(ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'while away' } }), 403, 'policy_refused', 'user_inactive');
    await admin.api.call(api.orgs.reactivateUser, { params: { id: org.id, uid: bob.user.id } });
    const m = await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'welcome back' } });
    expect(m.seq).toBe(2);
  });
});
