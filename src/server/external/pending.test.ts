import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';
import { uploadRaw } from '../files/test-helpers.js';
import { auditOf, cid, expectApiError, setStage, signUpAndVerify } from './test-helpers.js';

const fresh = () => `invitee-${uniq()}@fresh-${uniq()}.example`;

async function chatInvites(t: ReturnType<Parameters<Parameters<typeof describeEachDb>[1]>[0]>, to: string) {
  const rows = await t.ctx.db.selectFrom('mail_outbox').selectAll().where('kind', '=', 'chat_invite').execute();
  return rows.filter((r) => r.to_addr.toLowerCase() === to.toLowerCase());
}

describeEachDb('pending chats and invitations', (t) => {
  it('makes one pending chat per sender and email; mails an invitation over SMTP only when asked, once a day', async () => {
    const ann = await makeUser(t(), { plan: 'basic', displayName: 'Ann Inviter' });
    const email = fresh();
    const first = await ann.api.call(api.conversations.startDirect, { body: { email } });
    expect(first).toMatchObject({ kind: 'direct', state: 'pending', createdBy: ann.user.id });
    expect(first.participants).toEqual(
      expect.arrayContaining([expect.objectContaining({ userId: null, email, pending: true, deleted: false, orgId: null, label: 'Invited · not on Parley yet' })]),
    );
    expect(await chatInvites(t(), email)).toHaveLength(0);

    const again = await ann.api.call(api.conversations.startDirect, { body: { email: email.toUpperCase(), invite: true } });
    expect(again.id).toBe(first.id);
    const mail = await t().smtp.waitFor(email);
    expect(mail.subject).toBe('Ann Inviter wants to chat with you on Parley');
    expect(mail.text).toContain(`${t().ctx.config.publicUrl}/signup?email=`);
    expect(mail.text).toContain(ann.org.name);
    await ann.api.call(api.conversations.startDirect, { body: { email, invite: true } });
    expect(await chatInvites(t(), email)).toHaveLength(1);
    expect((await auditOf(t(), ann.org.id, 'external.invitation_sent')).filter((e) => e.target_id === first.id)).toHaveLength(1);

    const feed = await ann.api.call(api.activity.feed);
    expect(feed.items.find((e) => e.kind === 'invitation' && e.conversationId === first.id)).toMatchObject({
      status: 'pending',
      person: { userId: null, email, pending: true },
      actions: { message: { email }, call: { email } },
    });
    // Another sender gets a pending chat of their own with the same email.
    const bob = await makeUser(t(), { plan: 'basic' });
    expect((await bob.api.call(api.conversations.startDirect, { body: { email } })).id).not.toBe(first.id);
  });

  it('makes one pending chat and one invitation when the same start arrives several times at once', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const email = fresh();
    const starts = await Promise.all(Array.from({ length: 6 }, () => ann.api.call(api.conversations.startDirect, { body: { email, invite: true } })));
    expect(new Set(starts.map((c) => c.id)).size).toBe(1);
    const rows = await t().ctx.db.selectFrom('conversations').select('id').where('created_by', '=', ann.user.id).where('pending_email', '=', email).execute();
    expect(rows).toHaveLength(1);
    expect(await chatInvites(t(), email)).toHaveLength(1);
    // Bound once, the invitee has exactly one chat with Ann.
    const joiner = await signUpAndVerify(t(), email, 'Joiner Once');
    expect((await joiner.api.call(api.conversations.list)).items.map((c) => c.id)).toEqual([starts[0]!.id]);
  });

  it('refuses pending chats the sender’s org may not start, with the reason', async () => {
    const paid = await makeOrg(t().ctx, { plan: 'paid' });
    const closed = await makeUser(t(), { org: paid });
    await expectApiError(closed.api.call(api.conversations.startDirect, { body: { email: fresh(), invite: true } }), 403, 'policy_refused', 'sender_org_disabled');
    // …but a future colleague (the org's own verified domain) is not external.
    const colleague = `new-${uniq()}@${paid.domain}`;
    const future = await closed.api.call(api.conversations.startDirect, { body: { email: colleague } });
    expect(future.state).toBe('pending');
    expect(future.participants.find((p) => p.pending)).toMatchObject({ email: colleague, external: false, orgId: paid.id, orgName: paid.name, label: 'Invited · not on Parley yet' });
    // …and an address of no org on Parley stays external, of no org.
    const stranger = await makeUser(t(), { plan: 'basic' });
    const elsewhere = await stranger.api.call(api.conversations.startDirect, { body: { email: fresh() } });
    expect(elsewhere.participants.find((p) => p.pending)).toMatchObject({ external: true, orgId: null, orgName: null });

    const listed = await makeOrg(t().ctx, { plan: 'basic', policy: { allow: 'listed', allowDomains: ['partner.example'] } });
    const l = await makeUser(t(), { org: listed });
    await expectApiError(l.api.call(api.conversations.startDirect, { body: { email: fresh() } }), 403, 'policy_refused', 'sender_org_disallows');
    expect((await l.api.call(api.conversations.startDirect, { body: { email: `x-${uniq()}@eu.partner.example` } })).state).toBe('pending');

    const closedOrg = await makeOrg(t().ctx, { plan: 'paid' });
    const ann = await makeUser(t(), { plan: 'basic' });
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: `y-${uniq()}@${closedOrg.domain}` } }), 403, 'policy_refused', 'recipient_org_not_accepting');

    try {
      await setStage(t(), 'off');
      await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: fresh() } }), 403, 'policy_refused', 'stage_off');
    } finally {
      await setStage(t(), 'ga');
    }
    await expectApiError(ann.api.call(api.conversations.startDirect, { body: { email: 'not-an-email' } }), 400, 'invalid_request');
  });

  it('binds every pending chat for the email on verification, as a request when the new org asks for acceptance', async () => {
    const acceptOrg = await makeOrg(t().ctx, { plan: 'channel_partner', policy: { requireAcceptance: true } });
    const email = `joiner-${uniq()}@${acceptOrg.domain}`;
    const ann = await makeUser(t(), { plan: 'basic' });
    const bob = await makeUser(t(), { plan: 'basic' });
    const colleague = await makeUser(t(), { org: acceptOrg });
    const a = await ann.api.call(api.conversations.startDirect, { body: { email, invite: true } });
    const b = await bob.api.call(api.conversations.startDirect, { body: { email } });
    const c = await colleague.api.call(api.conversations.startDirect, { body: { email } });
    await ann.api.call(api.messages.send, { params: { id: a.id }, body: { clientId: cid(), body: 'from Ann' } });

    const joiner = await signUpAndVerify(t(), email, 'Joiner');
    expect(joiner.user.orgId).toBe(acceptOrg.id);
    const list = await joiner.api.call(api.conversations.list);
    const states = Object.fromEntries(list.items.map((x) => [x.id, x.state]));
    expect(states).toEqual({ [a.id]: 'request', [b.id]: 'request', [c.id]: 'live' });
    expect((await ann.api.call(api.conversations.get, { params: { id: a.id } })).participants.find((p) => p.userId === joiner.user.id)).toMatchObject({
      external: true,
      pending: false,
      orgName: acceptOrg.name,
    });
    // The request rules apply from now on: the joiner accepts, then both write.
    await joiner.api.call(api.external.accept, { params: { id: a.id } });
    await joiner.api.call(api.messages.send, { params: { id: a.id }, body: { clientId: cid(), body: 'hello Ann' } });
    for (const orgId of [ann.org.id, acceptOrg.id]) {
      expect((await auditOf(t(), orgId, 'external.chat_started')).some((e) => e.target_id === a.id && e.data.via === 'invitation')).toBe(true);
    }
    // The recipient's feed shows the request; binding twice changes nothing.
    expect((await joiner.api.call(api.activity.feed)).items.some((e) => e.kind === 'request' && e.conversationId === b.id)).toBe(true);
    const { doBindPendingChats } = await import('./pending.js');
    expect(await doBindPendingChats(t().ctx, joiner.user.id)).toEqual([]);
  });

  it('binds a pending chat the rules refuse at that moment as the request it would have been, read-only until they allow it', async () => {
    const acceptOrg = await makeOrg(t().ctx, { plan: 'channel_partner', policy: { requireAcceptance: true } });
    const admin = await makeUser(t(), { org: acceptOrg, role: 'admin' });
    const ann = await makeUser(t(), { plan: 'basic' });
    const annDomain = ann.email.split('@')[1]!;
    const email = `newbie-${uniq()}@${acceptOrg.domain}`;
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email } });
    await admin.api.call(api.external.patchSettings, { params: { id: acceptOrg.id }, body: { blockDomains: [annDomain] } });
    const newbie = await signUpAndVerify(t(), email, 'Newbie');
    expect(await newbie.api.call(api.conversations.get, { params: { id: conv.id } })).toMatchObject({ state: 'readonly' });
    await expectApiError(ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'blocked' } }), 403, 'policy_refused');

    // The block goes: the chat is a message request, as if it had been bound while allowed.
    await admin.api.call(api.external.patchSettings, { params: { id: acceptOrg.id }, body: { blockDomains: [] } });
    expect((await ann.api.call(api.conversations.get, { params: { id: conv.id } })).state).toBe('request');
    expect((await newbie.api.call(api.activity.feed)).items.some((e) => e.kind === 'request' && e.conversationId === conv.id)).toBe(true);
    for (let i = 0; i < 5; i++) await ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: `ask ${i}` } });
    await expectApiError(ann.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: cid(), body: 'one too many' } }), 403, 'policy_refused', 'request_limit');
  });

  it('holds a pending chat to the rules of the org its email will join: a request’s five messages and no files, that org’s file switch and size limit', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const start = async (email: string) => {
      const c = await ann.api.call(api.conversations.startDirect, { body: { email } });
      expect(c.state).toBe('pending');
      return c.id;
    };
    const send = (id: string) => ann.api.call(api.messages.send, { params: { id }, body: { clientId: cid(), body: 'before you join' } });
    const upload = (id: string, bytes = 1) => uploadRaw(t(), ann, id, 'f.txt', Buffer.alloc(bytes, 120));

    // The org of the email's domain asks for acceptance: a request's rules hold before binding too.
    const acceptOrg = await makeOrg(t().ctx, { plan: 'channel_partner', policy: { requireAcceptance: true } });
    const email = `r-${uniq()}@${acceptOrg.domain}`;
    const req = await start(email);
    for (let i = 0; i < 5; i++) await send(req);
    await expectApiError(send(req), 403, 'policy_refused', 'request_limit');
    const noFile = await upload(req);
    expect([noFile.status, noFile.json.error?.reason]).toEqual([403, 'request_limit']);
    const joiner = await signUpAndVerify(t(), email, 'Joiner');
    expect(await joiner.api.call(api.conversations.get, { params: { id: req } })).toMatchObject({ state: 'request', lastSeq: 5 });

    // That org shares no files with other orgs: none go into a chat its people will read.
    const closed = await makeOrg(t().ctx, { plan: 'channel_partner', policy: { requireAcceptance: false, externalFiles: false } });
    const toClosed = await start(`f-${uniq()}@${closed.domain}`);
    for (let i = 0; i < 6; i++) await send(toClosed);
    const refused = await upload(toClosed);
    expect([refused.status, refused.json.error?.reason]).toEqual([403, 'external_files_disabled']);

    // Its size limit, when smaller, is the chat's.
    const small = await makeOrg(t().ctx, { plan: 'channel_partner', policy: { requireAcceptance: false, maxFileBytes: 10 } });
    const toSmall = await start(`s-${uniq()}@${small.domain}`);
    const tooBig = await upload(toSmall, 11);
    expect([tooBig.status, tooBig.json.error?.reason]).toEqual([413, 'file_too_large']);
    expect((await upload(toSmall, 10)).status).toBe(201);

    // A domain no org has claimed: the joiner gets an org of their own, on the default policy.
    const free = await start(fresh());
    for (let i = 0; i < 6; i++) await send(free);
    expect((await upload(free)).status).toBe(201);

    // The sender's own org's switch counts too, except towards a future colleague.
    const ownClosed = await makeOrg(t().ctx, { plan: 'basic', policy: { externalFiles: false } });
    const cat = await makeUser(t(), { org: ownClosed });
    const outward = await cat.api.call(api.conversations.startDirect, { body: { email: fresh() } });
    const out = await uploadRaw(t(), cat, outward.id, 'f.txt', Buffer.from('x'));
    expect([out.status, out.json.error?.reason]).toEqual([403, 'external_files_disabled']);
    const inward = await cat.api.call(api.conversations.startDirect, { body: { email: `new-${uniq()}@${ownClosed.domain}` } });
    expect((await uploadRaw(t(), cat, inward.id, 'f.txt', Buffer.from('x'))).status).toBe(201);
  });

  it('pages the activity feed without gaps or repeats', async () => {
    const ann = await makeUser(t(), { plan: 'basic' });
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await ann.api.call(api.conversations.startDirect, { body: { email: fresh(), invite: i % 2 === 0 } })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ann.api.call(api.activity.feed, { query: { limit: 3, ...(cursor ? { cursor } : {}) } });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((s) => s.startsWith('chat:'))).toHaveLength(7);
    expect(seen.filter((s) => s.startsWith('invitation:'))).toHaveLength(4);
    await expectApiError(ann.api.call(api.activity.feed, { query: { cursor: 'garbage' } }), 400, 'invalid_request');
    const forged = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [forged(['\u0000', 1, 'x']), forged(['2024-01-01', 1, '\u0000']), forged(['\udc00', 1, 'x'])]) {
      await expectApiError(ann.api.call(api.activity.feed, { query: { cursor } }), 400, 'invalid_request');
    }
    await expectApiError(ann.api.call(api.activity.feed, { query: { limit: 0 } }), 400, 'invalid_request');
    await expectApiError(ann.api.call(api.activity.feed, { query: { limit: 101 } }), 400, 'invalid_request');
  });
});
