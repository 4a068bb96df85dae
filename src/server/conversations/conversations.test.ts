import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { expectApiError, recordEvents } from './test-helpers.js';

describeEachDb('direct chats', (t) => {
  it('starts a direct chat with a colleague by email (201), and answers the same chat again (200)', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const rec = recordEvents(t());
    const res = await fetch(`${t().url}/api/v1/conversations/direct`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `  ${bob.email.toUpperCase()} ` }),
    });
    expect(res.status).toBe(201);
    const conv = (await res.json()) as { id: string; kind: string; state: string; participants: { userId: string; external: boolean }[] };
    expect(conv).toMatchObject({ kind: 'direct', state: 'live', unreadCount: 0, lastSeq: 0, lastReadSeq: 0, createdBy: ann.user.id });
    expect(conv.participants.map((p) => p.userId).sort()).toEqual([ann.user.id, bob.user.id].sort());
    expect(conv.participants.every((p) => !p.external)).toBe(true);

    const again = await fetch(`${t().url}/api/v1/conversations/direct`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: ann.email }),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(conv.id);
    rec.stop();
    const created = rec.events.filter((e) => e.event.type === 'conversation.created');
    expect(created.map((e) => e.userIds[0]).sort()).toEqual([ann.user.id, bob.user.id].sort());
  });

  it('makes one chat when both people start it at the same time', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => ann.api.call(api.conversations.startDirect, { body: { email: bob.email } })),
      ...Array.from({ length: 5 }, () => bob.api.call(api.conversations.startDirect, { body: { email: ann.email } })),
    ]);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const rows = await t().ctx.db.selectFrom('conversations').select('id').where('direct_key', 'like', `%${ann.user.id}%`).execute();
    expect(rows).toHaveLength(1);
  });

  // An email with no account makes a pending chat: the external domain's tests cover that.
  it('refuses a chat with yourself and bad input', async () => {
    const ann = await makeUser(t());
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: ann.email.toUpperCase() } }), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: 'not an email' } }), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: 42 } as never }), 400, 'invalid_request');
    await expectApiError(t().anon().call(api.conversations.startDirect, { body: { email: ann.email } }), 401, 'unauthenticated');
  });

  it('labels a person of another org as external, and crosses orgs when both orgs allow it', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const bob = await makeUser(t(), { plan: 'basic' });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    const them = conv.participants.find((p) => p.userId === bob.user.id)!;
    const me = conv.participants.find((p) => p.userId === ann.user.id)!;
    expect(them).toMatchObject({ external: true, deleted: false, pending: false, orgId: bob.org.id, orgName: bob.org.name, status: 'active' });
    expect(me.external).toBe(false);
  });

  it('refuses across orgs when an org has external messaging off, with the reason', async () => {
    const paid = await makeOrg(t().ctx, { plan: 'paid' });
    const carol = await makeUser(t(), { org: paid });
    const dan = await makeUser(t(), { plan: 'basic' });
    await expectApiError(carol.api.call(api.conversations.startDirect, { body: { email: dan.email } }), 403, 'policy_refused', 'sender_org_disabled');
    await expectApiError(dan.api.call(api.conversations.startDirect, { body: { email: carol.email } }), 403, 'policy_refused', 'recipient_org_not_accepting');
  });

  it('refuses a deactivated colleague with user_inactive', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    await t().ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', bob.user.id).execute();
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: bob.email } }), 403, 'policy_refused', 'user_inactive');
  });

  it('shows a deleted participant as deleted, never as external', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const bob = await makeUser(t(), { plan: 'basic' });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    await t().ctx.db.updateTable('users').set({ status: 'deleted' }).where('id', '=', bob.user.id).execute();
    const seen = await ann.api.call(api.conversations.get, { params: { id: conv.id } });
    expect(seen.participants.find((p) => p.userId === bob.user.id)).toMatchObject({ deleted: true, external: false, status: 'deleted' });
  });

  it('cannot change the members of a direct chat', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const carl = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    await expectApiError(ann.api.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: [carl.user.id] } }), 409, 'not_a_group');
    await expectApiError(ann.api.call(api.conversations.removeMember, { params: { id: conv.id, userId: bob.user.id } }), 409, 'not_a_group');
    await expectApiError(ann.api.call(api.conversations.leave, { params: { id: conv.id } }), 409, 'not_a_group');
    await expectApiError(ann.api.call(api.conversations.update, { params: { id: conv.id }, body: { title: 'x' } }), 409, 'not_a_group');
  });
});

describeEachDb('group chats', (t) => {
  async function team() {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const [ann, bob, carl, dora] = await Promise.all([makeUser(t(), { org }), makeUser(t(), { org }), makeUser(t(), { org }), makeUser(t(), { org })]);
    return { org, ann: ann!, bob: bob!, carl: carl!, dora: dora! };
  }

  it('creates a group of colleagues with the creator in it, duplicates removed', async () => {
    const { ann, bob, carl } = await team();
    const rec = recordEvents(t());
    const res = await fetch(`${t().url}/api/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: '  Launch  ', memberIds: [bob.user.id, carl.user.id, bob.user.id, ann.user.id] }),
    });
    expect(res.status).toBe(201);
    const conv = (await res.json()) as { id: string; title: string; kind: string; participants: { userId: string }[] };
    rec.stop();
    expect(conv).toMatchObject({ kind: 'group', title: 'Launch', state: 'live' });
    expect(conv.participants.map((p) => p.userId).sort()).toEqual([ann.user.id, bob.user.id, carl.user.id].sort());
    for (const u of [ann, bob, carl]) {
      expect(rec.to(u.user.id)).toContainEqual(expect.objectContaining({ type: 'conversation.created', conversation: expect.objectContaining({ id: conv.id }) }));
    }
  });

  it('stores a title with a lone surrogate as the same well-formed text on either database', async () => {
    const { ann, bob } = await team();
    const res = await fetch(`${t().url}/api/v1/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ann.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'a\ud800b', memberIds: [bob.user.id] }),
    });
    expect(res.status).toBe(201);
    const conv = (await res.json()) as { id: string; title: string };
    expect(conv.title).toBe('a\ufffdb');
    expect((await bob.api.call(api.conversations.get, { params: { id: conv.id } })).title).toBe('a\ufffdb');
  });

  it('refuses bad titles, members of another org, unknown and inactive people, and a group of one', async () => {
    const { ann, bob, dora } = await team();
    const stranger = await makeUser(t());
    await t().ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', dora.user.id).execute();
    const call = (title: string, memberIds: string[]) => ann.api.call(api.conversations.create, { body: { title, memberIds } });
    await expectApiError(call('', [bob.user.id]), 400, 'invalid_request');
    await expectApiError(call('   ', [bob.user.id]), 400, 'invalid_request');
    await expectApiError(call('x'.repeat(101), [bob.user.id]), 400, 'invalid_request');
    await expectApiError(call('ok', [stranger.user.id]), 400, 'invalid_member');
    await expectApiError(call('ok', ['nonexistent0000']), 400, 'invalid_member');
    await expectApiError(call('ok', [dora.user.id]), 400, 'invalid_member');
    await expectApiError(call('ok', []), 400, 'invalid_request');
    await expectApiError(call('ok', [ann.user.id]), 400, 'invalid_request');
    await expectApiError(call('ok', Array.from({ length: 1001 }, (_, i) => `u${i}`)), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.conversations.create, { body: { title: 'ok', memberIds: 'x' } as never }), 400, 'invalid_request');
    expect(await call('x'.repeat(100), [bob.user.id])).toMatchObject({ title: 'x'.repeat(100) });
    // Control and text-direction characters, and titles with nothing to see, are refused.
    for (const bad of ['bell\u0007', 'two\r\nlines', 'abc\u202Egnp.exe', '\u200B\u200B', '\u2066\u2069']) {
      const err = await expectApiError(call(bad, [bob.user.id]), 400, 'invalid_request');
      expect(err.message).toMatch(/title/i);
    }
    expect(await call('Équipe 日本 🚀', [bob.user.id])).toMatchObject({ title: 'Équipe 日本 🚀' });
  });

  it('answers adding someone already in the group the same way whatever their status: nothing changes', async () => {
    const { ann, bob, carl, dora } = await team();
    const group = await ann.api.call(api.conversations.create, { body: { title: 'g', memberIds: [bob.user.id, dora.user.id] } });
    await t().ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', dora.user.id).execute();
    for (const id of [bob.user.id, dora.user.id]) {
      const again = await ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [id] } });
      expect(again.lastSeq).toBe(group.lastSeq);
    }
    // Someone new who is inactive is still refused.
    await t().ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', carl.user.id).execute();
    await expectApiError(ann.api.call(api.conversations.addMembers, { params: { id: group.id }, body: { userIds: [carl.user.id] } }), 400, 'invalid_member');
  });

  it('lets members add and remove colleagues; a removed member loses access', async () => {
    const { ann, bob, carl, dora } = await team();
    const conv = await ann.api.call(api.conversations.create, { body: { title: 'Ops', memberIds: [bob.user.id] } });
    // Not a member yet: the chat does not exist for them.
    await expectApiError(carl.api.call(api.conversations.get, { params: { id: conv.id } }), 404, 'not_found');
    await expectApiError(carl.api.call(api.messages.list, { params: { id: conv.id }, query: {} }), 404, 'not_found');
    await expectApiError(carl.api.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: [carl.user.id] } }), 404, 'not_found');

    const rec = recordEvents(t());
    const added = await bob.api.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: [carl.user.id, dora.user.id, ann.user.id] } });
    expect(added.participants).toHaveLength(4);
    expect(rec.to(carl.user.id)).toContainEqual(expect.objectContaining({ type: 'conversation.created' }));
    expect(rec.to(ann.user.id)).toContainEqual(expect.objectContaining({ type: 'conversation.updated' }));
    expect(await carl.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ id: conv.id });

    await carl.api.call(api.conversations.removeMember, { params: { id: conv.id, userId: dora.user.id } });
    await expectApiError(dora.api.call(api.conversations.get, { params: { id: conv.id } }), 404, 'not_found');
    await expectApiError(dora.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: 'x', body: 'hi' } }), 404, 'not_found');
    const removedEvent = rec.to(dora.user.id).find((e) => e.type === 'conversation.updated');
    expect(removedEvent).toBeDefined();
    rec.stop();
    const list = await dora.api.call(api.conversations.list, { query: {} });
    expect(list.items.map((c) => c.id)).not.toContain(conv.id);
    // Removing someone who is not a member is a 404.
    await expectApiError(carl.api.call(api.conversations.removeMember, { params: { id: conv.id, userId: dora.user.id } }), 404, 'not_found');
    // Adding back works, and an outsider cannot be added.
    const outsider = await makeUser(t());
    await expectApiError(ann.api.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: [outsider.user.id] } }), 400, 'invalid_member');
    await ann.api.call(api.conversations.addMembers, { params: { id: conv.id }, body: { userIds: [dora.user.id] } });
    expect(await dora.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ id: conv.id });
  });

  it('lets a member leave, by leave or by removing themselves', async () => {
    const { ann, bob, carl } = await team();
    const conv = await ann.api.call(api.conversations.create, { body: { title: 'Leavers', memberIds: [bob.user.id, carl.user.id] } });
    await bob.api.call(api.conversations.leave, { params: { id: conv.id } });
    await carl.api.call(api.conversations.removeMember, { params: { id: conv.id, userId: carl.user.id } });
    await expectApiError(bob.api.call(api.conversations.get, { params: { id: conv.id } }), 404, 'not_found');
    await expectApiError(carl.api.call(api.conversations.leave, { params: { id: conv.id } }), 404, 'not_found');
    const seen = await ann.api.call(api.conversations.get, { params: { id: conv.id } });
    expect(seen.participants.map((p) => p.userId)).toEqual([ann.user.id]);
  });

  it('renames a group and tells its members', async () => {
    const { ann, bob } = await team();
    const conv = await ann.api.call(api.conversations.create, { body: { title: 'Old', memberIds: [bob.user.id] } });
    const rec = recordEvents(t());
    const renamed = await bob.api.call(api.conversations.update, { params: { id: conv.id }, body: { title: ' New name ' } });
    rec.stop();
    expect(renamed.title).toBe('New name');
    expect(rec.to(ann.user.id)).toContainEqual(expect.objectContaining({ type: 'conversation.updated', conversation: expect.objectContaining({ title: 'New name' }) }));
    await expectApiError(bob.api.call(api.conversations.update, { params: { id: conv.id }, body: { title: '' } }), 400, 'invalid_request');
  });

  it('answers 400 for malformed ids and 404 for unknown ones', async () => {
    const { ann } = await team();
    await expectApiError(ann.api.call(api.conversations.get, { params: { id: 'no such id!' } }), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.conversations.get, { params: { id: 'nosuchconversation' } }), 404, 'not_found');
  });
});
