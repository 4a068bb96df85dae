import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { sleep, TestSocket } from '../realtime/test-socket.js';
import type { TestServer } from '../testing/server.js';
import { auditOf, cid, expectApiError, recordEvents } from './test-helpers.js';

/** A sender of a basic org and a recipient whose org asks for acceptance. */
async function pair(t: TestServer) {
  const acceptOrg = await makeOrg(t.ctx, { plan: 'basic', policy: { requireAcceptance: true } });
  const rita = await makeUser(t, { org: acceptOrg, displayName: 'Rita Recipient' });
  const sam = await makeUser(t, { plan: 'basic', displayName: 'Sam Sender' });
  return { rita, sam, acceptOrg };
}

describeEachDb('message requests', (t) => {
  it('holds the sender to 5 messages when 20 are sent at once', async () => {
    const { rita, sam } = await pair(t());
    const req = await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } });
    const answers = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: `burst ${i}` } })),
    );
    const stored = answers.filter((a) => a.status === 'fulfilled');
    expect(stored).toHaveLength(5);
    for (const a of answers) {
      if (a.status === 'rejected') expect(a.reason).toMatchObject({ status: 403, code: 'policy_refused', reason: 'request_limit' });
    }
    const rows = await t().ctx.db.selectFrom('messages').select('seq').where('conversation_id', '=', req.id).orderBy('seq').execute();
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    // Once accepted, the limit is gone.
    await rita.api.call(api.external.accept, { params: { id: req.id } });
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: `later ${i}` } })));
    expect(after.map((m) => m.seq).sort((a, b) => a - b)).toEqual([6, 7, 8, 9, 10, 11]);
  });

  it('starts as a request the recipient sees, lets the sender write 5 messages and no files until accepted', async () => {
    const { rita, sam, acceptOrg } = await pair(t());
    const rec = recordEvents(t());
    const req = await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } });
    rec.stop();
    expect(req).toMatchObject({ state: 'request', createdBy: sam.user.id });
    expect(rec.to(rita.user.id).some((e) => e.type === 'conversation.created' && e.conversation.id === req.id && e.conversation.state === 'request')).toBe(true);
    const ritaList = await rita.api.call(api.conversations.list);
    expect(ritaList.items.find((c) => c.id === req.id)?.state).toBe('request');

    // Audited in both orgs, and shown in the recipient's activity.
    for (const orgId of [acceptOrg.id, sam.org.id]) {
      const entries = await auditOf(t(), orgId, 'external.chat_started');
      expect(entries.some((e) => e.target_id === req.id && e.actor_id === sam.user.id && e.data.state === 'request')).toBe(true);
    }
    // The address it came from is the sender's org's to see, not the other org's.
    expect((await auditOf(t(), sam.org.id, 'external.chat_started')).find((e) => e.target_id === req.id)?.ip).toBe('127.0.0.1');
    expect((await auditOf(t(), acceptOrg.id, 'external.chat_started')).find((e) => e.target_id === req.id)?.ip).toBeNull();
    const feed = await rita.api.call(api.activity.feed);
    expect(feed.items.find((e) => e.kind === 'request' && e.conversationId === req.id)).toMatchObject({ status: 'open', person: { userId: sam.user.id, external: true } });

    // No files before acceptance (refused before the file ids are even looked at).
    const files = await expectApiError(
      sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'a file', fileIds: ['abc'] } }),
      403,
      'policy_refused',
      'request_limit',
    );
    expect(files.message).toMatch(/^Files/);
    for (let i = 1; i <= 5; i++) {
      const m = await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: `note ${i}` } });
      expect(m.seq).toBe(i);
    }
    await expectApiError(sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'one more' } }), 403, 'policy_refused', 'request_limit');
    // The recipient answers by accepting first; the sender cannot answer their own request.
    await expectApiError(rita.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'hi' } }), 409, 'conversation_not_live');
    await expectApiError(sam.api.call(api.external.accept, { params: { id: req.id } }), 403, 'forbidden');
    // A stranger is told nothing exists.
    const stranger = await makeUser(t(), { plan: 'basic' });
    await expectApiError(stranger.api.call(api.external.accept, { params: { id: req.id } }), 404, 'not_found');

    const rec2 = recordEvents(t());
    const accepted = await rita.api.call(api.external.accept, { params: { id: req.id } });
    rec2.stop();
    expect(accepted.state).toBe('live');
    expect(rec2.to(sam.user.id).some((e) => e.type === 'conversation.updated' && e.conversation.state === 'live')).toBe(true);
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'thanks!' } });
    await rita.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'welcome' } });
    for (const orgId of [acceptOrg.id, sam.org.id]) {
      expect((await auditOf(t(), orgId, 'external.request_accepted')).some((e) => e.target_id === req.id && e.actor_id === rita.user.id)).toBe(true);
    }
    // Rita's address is for her own org's admins only.
    expect((await auditOf(t(), acceptOrg.id, 'external.request_accepted')).find((e) => e.target_id === req.id)?.ip).toBe('127.0.0.1');
    expect((await auditOf(t(), sam.org.id, 'external.request_accepted')).find((e) => e.target_id === req.id)?.ip).toBeNull();
    expect((await rita.api.call(api.activity.feed)).items.find((e) => e.kind === 'request' && e.conversationId === req.id)?.status).toBe('accepted');
  });

  it('decline stops the sender (also from starting over), and accepting later undoes it', async () => {
    const { rita, sam, acceptOrg } = await pair(t());
    const req = await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } });
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'hello?' } });

    const declined = await rita.api.call(api.external.decline, { params: { id: req.id } });
    expect(declined.state).toBe('declined');
    expect((await sam.api.call(api.conversations.get, { params: { id: req.id } })).state).toBe('declined');
    await expectApiError(sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'please' } }), 409, 'conversation_not_live');
    await expectApiError(sam.api.call(api.conversations.startDirect, { body: { email: rita.email } }), 403, 'forbidden');
    // Declining twice is harmless; declining is not possible from a declined state to anything else.
    expect((await rita.api.call(api.external.decline, { params: { id: req.id } })).state).toBe('declined');
    await expectApiError(rita.api.call(api.external.unblock, { params: { id: req.id } }), 409, 'invalid_state');
    for (const orgId of [acceptOrg.id, sam.org.id]) {
      expect((await auditOf(t(), orgId, 'external.request_declined')).some((e) => e.target_id === req.id)).toBe(true);
    }

    const undone = await rita.api.call(api.external.accept, { params: { id: req.id } });
    expect(undone.state).toBe('live');
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'great' } });
    expect((await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } })).id).toBe(req.id);
  });

  it('block stops the sender everywhere (new chats too, with reason blocked); unblock or accept undoes it', async () => {
    const { rita, sam, acceptOrg } = await pair(t());
    const req = await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } });
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'buy now' } });

    const blocked = await rita.api.call(api.external.block, { params: { id: req.id } });
    expect(blocked).toMatchObject({ state: 'blocked', reason: 'blocked' });
    expect(await sam.api.call(api.conversations.get, { params: { id: req.id } })).toMatchObject({ state: 'blocked', reason: 'blocked' });
    await expectApiError(sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'hey' } }), 403, 'policy_refused', 'blocked');
    // Neither side is shown typing in the blocked chat.
    const [ritaSocket, samSocket] = await Promise.all([TestSocket.open(t().url, { token: rita.token }), TestSocket.open(t().url, { token: sam.token })]);
    samSocket.send({ type: 'typing', conversationId: req.id });
    ritaSocket.send({ type: 'typing', conversationId: req.id });
    await sleep(300);
    expect(ritaSocket.count((e) => e.type === 'typing') + samSocket.count((e) => e.type === 'typing')).toBe(0);
    ritaSocket.close();
    samSocket.close();
    await expectApiError(sam.api.call(api.conversations.startDirect, { body: { email: rita.email } }), 403, 'policy_refused', 'blocked');
    const search = await sam.api.call(api.directory.search, { query: { q: rita.email } });
    expect(search.items[0]?.canMessage).toMatchObject({ allowed: false, reason: 'blocked' });
    // The blocker cannot start a chat with the person they blocked either, until they unblock.
    await expectApiError(rita.api.call(api.conversations.startDirect, { body: { email: sam.email } }), 403, 'policy_refused', 'blocked');
    // History stays readable for both.
    expect((await rita.api.call(api.messages.list, { params: { id: req.id }, query: {} })).items).toHaveLength(1);
    for (const orgId of [acceptOrg.id, sam.org.id]) {
      expect((await auditOf(t(), orgId, 'external.request_blocked')).some((e) => e.target_id === req.id)).toBe(true);
    }
    // Only the recipient can unblock.
    await expectApiError(sam.api.call(api.external.unblock, { params: { id: req.id } }), 403, 'forbidden');

    const unblocked = await rita.api.call(api.external.unblock, { params: { id: req.id } });
    expect(unblocked.state).toBe('request');
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'sorry' } });

    // Block again, then accept: live at once.
    await rita.api.call(api.external.block, { params: { id: req.id } });
    const accepted = await rita.api.call(api.external.accept, { params: { id: req.id } });
    expect(accepted.state).toBe('live');
    await sam.api.call(api.messages.send, { params: { id: req.id }, body: { clientId: cid(), body: 'thank you' } });
  });

  it('refuses answers to chats that are not requests, and bad ids', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const a = await makeUser(t(), { org });
    const b = await makeUser(t(), { org });
    const conv = await a.api.call(api.conversations.startDirect, { body: { email: b.email } });
    await expectApiError(b.api.call(api.external.decline, { params: { id: conv.id } }), 409, 'invalid_state');
    await expectApiError(b.api.call(api.external.block, { params: { id: conv.id } }), 409, 'not_a_request');
    await expectApiError(b.api.call(api.external.accept, { params: { id: 'no such id' } }), 400, 'invalid_request');
    await expectApiError(b.api.call(api.external.accept, { params: { id: 'nosuchid' } }), 404, 'not_found');
    await expectApiError(t().anon().call(api.external.accept, { params: { id: conv.id } }), 401, 'unauthenticated');
    const pending = await a.api.call(api.conversations.startDirect, { body: { email: `nobody-${Date.now()}@${org.domain}` } });
    expect(pending.state).toBe('pending');
    await expectApiError(a.api.call(api.external.accept, { params: { id: pending.id } }), 409, 'not_a_request');
  });
});
