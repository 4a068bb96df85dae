import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { runCli as runCliIn, useTempConfigDir } from '../../cli/testing.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../testing/factories.js';
import { cid, expectApiError, recordEvents, signUpAndVerify } from './test-helpers.js';

const runCli = (...argv: string[]) => runCliIn(argv);

describeEachDb('the six defects of cross-org messaging', (t) => {
  useTempConfigDir('parley-ext-cli-');

  it('defect 1: a chat started with a not-yet-user comes alive after they sign up and verify, with earlier messages delivered', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const email = `newbie-${uniq()}@fresh-${uniq()}.example`;

    const pending = await ann.api.call(api.conversations.startDirect, { body: { email: `  ${email.toUpperCase()} `, invite: true } });
    expect(pending.state).toBe('pending');
    expect(pending.participants.find((p) => p.pending)).toMatchObject({ userId: null, email, pending: true });
    const invitation = await t().smtp.waitFor(email, (m) => m.text.includes('/signup?email='));
    expect(invitation.subject).toContain(ann.user.display_name);

    const m1 = await ann.api.call(api.messages.send, { params: { id: pending.id }, body: { clientId: cid(), body: 'Hello before you joined' } });
    const m2 = await ann.api.call(api.messages.send, { params: { id: pending.id }, body: { clientId: cid(), body: 'Second note' } });

    const rec = recordEvents(t());
    const newbie = await signUpAndVerify(t(), email, 'Newbie');
    rec.stop();

    // No manual re-creation: the same chat is now live with the new user, and tells both.
    const list = await newbie.api.call(api.conversations.list);
    const chat = list.items.find((c) => c.id === pending.id);
    expect(chat).toMatchObject({ state: 'live', unreadCount: 2, lastSeq: 2 });
    expect(chat!.participants.map((p) => p.userId).sort()).toEqual([ann.user.id, newbie.user.id].sort());
    const history = await newbie.api.call(api.messages.list, { params: { id: pending.id }, query: {} });
    expect(history.items.map((m) => m.id)).toEqual([m1.id, m2.id]);
    const created = rec.events.filter((e) => e.event.type === 'conversation.created');
    expect(created.flatMap((e) => e.userIds).sort()).toEqual([ann.user.id, newbie.user.id].sort());

    const annView = await ann.api.call(api.conversations.get, { params: { id: pending.id } });
    expect(annView.state).toBe('live');
    expect(annView.participants.find((p) => p.userId === newbie.user.id)).toMatchObject({ external: true, pending: false, deleted: false });
    // Typing the email again answers the same chat, and both can write.
    const again = await ann.api.call(api.conversations.startDirect, { body: { email } });
    expect(again.id).toBe(pending.id);
    await newbie.api.call(api.messages.send, { params: { id: pending.id }, body: { clientId: cid(), body: 'Got them, thanks' } });
    const activity = await ann.api.call(api.activity.feed);
    expect(activity.items.find((e) => e.kind === 'invitation' && e.conversationId === pending.id)).toMatchObject({ status: 'accepted', person: { userId: newbie.user.id } });
  });

  it('defect 2: a chat can be started from an activity entry with an external person', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const bob = await makeUser(t(), { plan: 'channel_partner' });
    const first = await bob.api.call(api.conversations.startDirect, { body: { email: ann.email } });
    await bob.api.call(api.messages.send, { params: { id: first.id }, body: { clientId: cid(), body: 'Hi Ann' } });

    const feed = await ann.api.call(api.activity.feed);
    const entry = feed.items.find((e) => e.kind === 'chat' && e.conversationId === first.id);
    expect(entry).toMatchObject({ person: { userId: bob.user.id, email: bob.email, external: true, orgName: bob.org.name }, unreadCount: 1, preview: 'Hi Ann' });

    // "Message" from the entry is exactly typing the email.
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: entry!.actions.message.email } });
    expect(conv.id).toBe(first.id);
    const sent = await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'Hi Bob' } });
    expect(sent.seq).toBe(2);

    // The same from a message request's entry: the recipient's "message" opens that chat.
    const dave = await makeUser(t(), { org: await makeOrg(t().ctx, { plan: 'basic', policy: { requireAcceptance: true } }) });
    const req = await ann.api.call(api.conversations.startDirect, { body: { email: dave.email } });
    expect(req.state).toBe('request');
    const daveEntry = (await dave.api.call(api.activity.feed)).items.find((e) => e.kind === 'request' && e.conversationId === req.id);
    expect(daveEntry).toMatchObject({ status: 'open', person: { email: ann.email, external: true } });
    const opened = await dave.api.call(api.conversations.startDirect, { body: { email: daveEntry!.actions.message.email } });
    expect(opened.id).toBe(req.id);
  });

  it('defect 3: an activity entry carries what is needed to call the external person, and starting a chat with it works', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const org = await makeOrg(t().ctx, { plan: 'channel_partner' });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });

    const feed = await bob.api.call(api.activity.feed);
    const entry = feed.items.find((e) => e.conversationId === conv.id);
    expect(entry?.actions.call).toEqual({ email: ann.email });
    expect(entry?.actions.message).toEqual({ email: ann.email });
    expect(entry?.person).toMatchObject({ email: ann.email, external: true, orgName: ann.org.name });
    const started = await bob.api.call(api.conversations.startDirect, { body: { email: entry!.actions.call.email } });
    expect(started.id).toBe(conv.id);
    expect(started.state).toBe('live');
  });

  it('defect 4: the CLI client starts an external chat by email and sends into it, and so does the HTTP API', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const bob = await makeUser(t(), { plan: 'channel_partner' });

    const login = await runCli('login', '--server', t().url, '--email', ann.email, '--password', TEST_PASSWORD);
    expect(login.code, login.err).toBe(0);
    const start = await runCli('chat', 'start', bob.email);
    expect(start.code, start.err).toBe(0);
    const id = start.out.trim().split(/\s+/)[0]!;
    const send = await runCli('send', id, 'hello', 'from', 'the', 'CLI');
    expect(send.code, send.err).toBe(0);

    const bobList = await bob.api.call(api.conversations.list);
    const chat = bobList.items.find((c) => c.id === id);
    expect(chat).toMatchObject({ kind: 'direct', state: 'live', lastMessage: { body: 'hello from the CLI', senderId: ann.user.id } });
    expect(chat!.participants.find((p) => p.userId === ann.user.id)).toMatchObject({ external: true });

    // The same through the HTTP API: the same chat, and the same sending.
    const viaApi = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    expect(viaApi.id).toBe(id);
    const m = await bob.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'and back through the API' } });
    expect(m.seq).toBe(2);
  });

  it('defect 5: a deleted colleague is shown as deleted, former member of the org, never external', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const ann = await makeUser(t(), { org });
    const colleague = await makeUser(t(), { org, displayName: 'Colleague Carl' });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: colleague.email } });
    await colleague.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'before I left' } });

    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: colleague.user.id } });

    const seen = await ann.api.call(api.conversations.get, { params: { id: conv.id } });
    const p = seen.participants.find((x) => x.userId === colleague.user.id);
    expect(p).toMatchObject({ deleted: true, external: false, displayName: 'Colleague Carl', orgName: org.name, label: `Former member of ${org.name}` });
    expect(seen).toMatchObject({ state: 'readonly', reason: 'user_inactive' });
    const feed = await ann.api.call(api.activity.feed);
    expect(feed.items.find((e) => e.conversationId === conv.id)?.person).toMatchObject({ deleted: true, external: false, label: `Former member of ${org.name}` });
    // History stays readable.
    const history = await ann.api.call(api.messages.list, { params: { id: conv.id }, query: {} });
    expect(history.items.map((m) => m.body)).toEqual(['before I left']);

    // A deleted person of ANOTHER org is not "external" either.
    const partnerOrg = await makeOrg(t().ctx, { plan: 'channel_partner' });
    const partnerAdmin = await makeUser(t(), { org: partnerOrg, role: 'admin' });
    const partner = await makeUser(t(), { org: partnerOrg });
    const basic = await makeUser(t(), { plan: 'basic' });
    const ext = await basic.api.call(api.conversations.startDirect, { body: { email: partner.email } });
    await partnerAdmin.api.call(api.orgs.deleteUser, { params: { id: partnerOrg.id, uid: partner.user.id } });
    const extSeen = await basic.api.call(api.conversations.get, { params: { id: ext.id } });
    expect(extSeen.participants.find((x) => x.userId === partner.user.id)).toMatchObject({ deleted: true, external: false, label: `Former member of ${partnerOrg.name}` });
  });

  it('defect 6: a deleted user re-created with the same email is reached in a new chat; the old one stays read-only history', async () => {
    const org = await makeOrg(t().ctx, { plan: 'channel_partner' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const dana = await makeUser(t(), { org });
    const ann = await makeUser(t(), { plan: 'basic' });
    const old = await ann.api.call(api.conversations.startDirect, { body: { email: dana.email } });
    await ann.api.call(api.messages.send, { params: { id: old.id }, body: { clientId: cid(), body: 'to the first Dana' } });

    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: dana.user.id } });
    const dana2 = await makeUser(t(), { org, email: dana.email.toUpperCase(), displayName: 'Dana Again' });
    expect(dana2.user.id).not.toBe(dana.user.id);

    const fresh = await ann.api.call(api.conversations.startDirect, { body: { email: dana.email } });
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.state).toBe('live');
    expect(fresh.participants.map((p) => p.userId).sort()).toEqual([ann.user.id, dana2.user.id].sort());
    await ann.api.call(api.messages.send, { params: { id: fresh.id }, body: { clientId: cid(), body: 'to the new Dana' } });
    const danaSees = await dana2.api.call(api.messages.list, { params: { id: fresh.id }, query: {} });
    expect(danaSees.items.map((m) => m.body)).toEqual(['to the new Dana']);
    // The new Dana never sees the old chat.
    await expectApiError(dana2.api.call(api.messages.list, { params: { id: old.id }, query: {} }), 404, 'not_found');

    const oldSeen = await ann.api.call(api.conversations.get, { params: { id: old.id } });
    expect(oldSeen).toMatchObject({ state: 'readonly', reason: 'user_inactive' });
    expect(oldSeen.participants.find((p) => p.userId === dana.user.id)).toMatchObject({ deleted: true, external: false });
    const history = await ann.api.call(api.messages.list, { params: { id: old.id }, query: {} });
    expect(history.items.map((m) => m.body)).toEqual(['to the first Dana']);
    await expectApiError(ann.api.call(api.messages.send, { params: { id: old.id }, body: { clientId: cid(), body: 'anyone?' } }), 403, 'policy_refused', 'user_inactive');
  });
});
