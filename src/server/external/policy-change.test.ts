import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { ParleyClient } from '../../shared/client.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';
import type { ServerEvent } from '../../shared/events.js';
import { sleep, TestSocket } from '../realtime/test-socket.js';
import { cid, expectApiError, recordEvents, setStage } from './test-helpers.js';

/** An external live chat between Ann (a channel partner org with an admin) and Bob (basic). */
async function externalChat(t: TestServer) {
  const org = await makeOrg(t.ctx, { plan: 'channel_partner' });
  const admin = await makeUser(t, { org, role: 'admin' });
  const ann = await makeUser(t, { org });
  const colleague = await makeUser(t, { org });
  const bob = await makeUser(t, { plan: 'basic' });
  const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
  expect(conv.state).toBe('live');
  await bob.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'first' } });
  const inside = await ann.api.call(api.conversations.startDirect, { body: { email: colleague.email } });
  return { org, admin, ann, bob, colleague, conv, inside };
}

async function sendOk(user: { api: ParleyClient }, id: string) {
  const m = await user.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'still here' } });
  expect(m.seq).toBeGreaterThan(0);
}

describeEachDb('policy changes take effect at once on existing chats', (t) => {
  it('an org switching external messaging off makes its external chats read-only for both sides, and back', async () => {
    const { org, admin, ann, bob, conv, inside } = await externalChat(t());
    const rec = recordEvents(t());
    await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { externalMessaging: false } });

    expect(await ann.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'sender_org_disabled' });
    const bobView = await bob.api.call(api.conversations.get, { params: { id: conv.id } });
    expect(bobView).toMatchObject({ state: 'readonly', reason: 'recipient_org_not_accepting' });
    expect(bobView.reasonMessage).toBeTruthy();
    // History stays readable; sending is refused with the reason, on both sides.
    expect((await bob.api.call(api.messages.list, { params: { id: conv.id }, query: {} })).items.map((m) => m.body)).toEqual(['first']);
    await expectApiError(ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'x' } }), 403, 'policy_refused', 'sender_org_disabled');
    await expectApiError(bob.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'x' } }), 403, 'policy_refused', 'recipient_org_not_accepting');
    // The chat list says the same, and the same-org chat is untouched.
    const list = await ann.api.call(api.conversations.list);
    expect(list.items.find((c) => c.id === conv.id)?.state).toBe('readonly');
    expect(list.items.find((c) => c.id === inside.id)?.state).toBe('live');
    await sendOk(ann, inside.id);

    // Open clients were told (best effort, after the commit).
    await expect.poll(() => rec.to(bob.user.id).some((e) => e.type === 'conversation.updated' && e.conversation.id === conv.id && e.conversation.state === 'readonly')).toBe(true);
    expect(rec.to(ann.user.id).some((e) => e.type === 'conversation.updated' && e.conversation.id === conv.id)).toBe(true);

    await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { externalMessaging: null } });
    expect((await bob.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('live');
    await sendOk(ann, conv.id);
    await sendOk(bob, conv.id);
    await expect.poll(() => rec.to(bob.user.id).some((e) => e.type === 'conversation.updated' && e.conversation.state === 'live')).toBe(true);
    rec.stop();
  });

  it('blocking the other person’s domain makes the chat read-only; removing the block makes it live', async () => {
    const { org, admin, ann, bob, conv } = await externalChat(t());
    const bobDomain = bob.email.split('@')[1]!;
    await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { blockDomains: [bobDomain.toUpperCase()] } });
    expect(await ann.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'sender_org_disallows' });
    expect(await bob.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'recipient_org_not_accepting' });
    await expectApiError(bob.api.call(api.conversations.startDirect, { body: { email: ann.email } }), 403, 'policy_refused', 'recipient_org_not_accepting');
    // Nobody is shown typing in the read-only chat, from either side.
    const [annSocket, bobSocket] = await Promise.all([TestSocket.open(t().url, { token: ann.token }), TestSocket.open(t().url, { token: bob.token })]);
    const typingIn = (e: ServerEvent) => e.type === 'typing' && e.conversationId === conv.id;
    try {
      bobSocket.send({ type: 'typing', conversationId: conv.id });
      annSocket.send({ type: 'typing', conversationId: conv.id });
      await sleep(400);
      expect(annSocket.count(typingIn) + bobSocket.count(typingIn)).toBe(0);
      await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { blockDomains: [] } });
      expect((await ann.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('live');
      await sendOk(bob, conv.id);
      // Live again: typing shows (a fresh socket, whose check is not cached).
      const bobAgain = await TestSocket.open(t().url, { token: bob.token });
      bobAgain.send({ type: 'typing', conversationId: conv.id });
      await annSocket.next(typingIn);
      bobAgain.close();
    } finally {
      annSocket.close();
      bobSocket.close();
    }
  });

  it('an allow-list that stops listing the other org makes the chat read-only', async () => {
    const { org, admin, ann, bob, conv } = await externalChat(t());
    await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { allow: 'listed', allowDomains: ['partner.example'] } });
    expect(await ann.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'sender_org_disallows' });
    // Listing the other org's verified domain admits its people again.
    await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { allowDomains: ['partner.example', bob.email.split('@')[1]!] } });
    expect((await bob.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('live');
  });

  it('the stage going off makes every external chat read-only (history kept) and nothing inside an org', async () => {
    const { ann, bob, conv, inside } = await externalChat(t());
    try {
      await setStage(t(), 'off');
      expect(await ann.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'stage_off' });
      expect(await bob.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'stage_off' });
      await expectApiError(bob.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'x' } }), 403, 'policy_refused', 'stage_off');
      expect((await bob.api.call(api.messages.list, { params: { id: conv.id }, query: {} })).items).toHaveLength(1);
      expect((await ann.api.call(api.conversations.get, { params: { id: inside.id } })).state).toBe('live');
      await sendOk(ann, inside.id);
    } finally {
      await setStage(t(), 'ga');
    }
    expect((await bob.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('live');
    await sendOk(bob, conv.id);
  });

  it('a deactivated person cannot be messaged (read-only chat), and reactivation restores them', async () => {
    const { org, admin, ann, bob, conv } = await externalChat(t());
    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: ann.user.id } });
    expect(await bob.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly', reason: 'user_inactive' });
    await expectApiError(bob.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'x' } }), 403, 'policy_refused', 'user_inactive');
    await expectApiError(bob.api.call(api.conversations.startDirect, { body: { email: ann.email } }), 403, 'policy_refused', 'user_inactive');
    // Not found in the directory either.
    expect((await bob.api.call(api.directory.search, { query: { q: ann.email } })).items).toEqual([]);
    await admin.api.call(api.orgs.reactivateUser, { params: { id: org.id, uid: ann.user.id } });
    expect((await bob.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('live');
    await sendOk(bob, conv.id);
  });
});
