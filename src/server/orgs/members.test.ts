import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { getUserWithOrg } from '../accounts/store.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import { linkIn } from '../testing/smtp-sink.js';
import { orgWithAdmin, refused } from './test-helpers.js';

describeEachDb('org admin: users', (t) => {
  it('lets members read their own org and hides every other org', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const other = await makeOrg(t().ctx);
    const got = await member.api.call(api.orgs.get, { params: { id: org.id } });
    expect(got.org).toMatchObject({ id: org.id, name: org.name, plan: 'paid', domains: [org.domain], selfSignup: true });
    expect((await refused(member.api.call(api.orgs.get, { params: { id: other.id } }))).status).toBe(404);
    expect(await refused(admin.api.call(api.orgs.get, { params: { id: 'no-such-org' } }))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await refused(t().anon().call(api.orgs.get, { params: { id: org.id } }))).toMatchObject({ status: 401, code: 'unauthenticated' });
  });

  it('lists users sorted by name, to admins only', async () => {
    const { org, admin, member } = await orgWithAdmin(t(), { memberName: 'Zed Last' });
    const early = await makeUser(t(), { org, displayName: 'aaron early' });
    const list = await admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: {} });
    expect(list.items.map((u) => u.id)).toEqual([early.user.id, admin.user.id, member.user.id]);
    expect(list.next).toBeUndefined();
    expect(list.items[0]).toMatchObject({ email: early.email, orgId: org.id, orgName: org.name, role: 'member', status: 'active' });

    expect(await refused(member.api.call(api.orgs.listUsers, { params: { id: org.id }, query: {} }))).toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('never lets the admin of one org see or touch another org', async () => {
    const a = await orgWithAdmin(t());
    const b = await orgWithAdmin(t());
    const asA = a.admin.api;
    const bId = b.org.id;
    const uid = b.member.user.id;
    for (const call of [
      () => asA.call(api.orgs.listUsers, { params: { id: bId }, query: {} }),
      () => asA.call(api.orgs.createUser, { params: { id: bId }, body: { email: `x-${uniq()}@b.example`, displayName: 'X' } }),
      () => asA.call(api.orgs.deactivateUser, { params: { id: bId, uid } }),
      () => asA.call(api.orgs.reactivateUser, { params: { id: bId, uid } }),
      () => asA.call(api.orgs.deleteUser, { params: { id: bId, uid } }),
      () => asA.call(api.orgs.setUserRole, { params: { id: bId, uid }, body: { role: 'admin' } }),
      () => asA.call(api.orgs.audit, { params: { id: bId }, query: {} }),
    ]) {
      expect(await refused(call())).toMatchObject({ status: 404, code: 'not_found' });
    }
    // Through their own org id, another org's user is not found either.
    expect(await refused(asA.call(api.orgs.deactivateUser, { params: { id: a.org.id, uid } }))).toMatchObject({ status: 404, code: 'not_found' });
    expect((await getUserWithOrg(t().ctx.db, uid))?.status).toBe('active');
  });

  it('filters by status and by name or email prefix, with wildcards taken literally', async () => {
    const { org, admin } = await orgWithAdmin(t());
    const ann = await makeUser(t(), { org, displayName: 'Ann Lee', email: `ann.lee-${uniq()}@${org.domain}` });
    const bob = await makeUser(t(), { org, displayName: 'Bob Annerson' });
    const pct = await makeUser(t(), { org, displayName: '100% Sure' });
    const call = (query: Record<string, string>) => admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: query as never });
    expect((await call({ q: 'ann' })).items.map((u) => u.id).sort()).toEqual([ann.user.id, bob.user.id].sort());
    expect((await call({ q: 'LEE' })).items.map((u) => u.id)).toEqual([ann.user.id]);
    expect((await call({ q: 'ann.lee-' })).items.map((u) => u.id)).toEqual([ann.user.id]);
    expect((await call({ q: '100%' })).items.map((u) => u.id)).toEqual([pct.user.id]);
    expect((await call({ q: '%' })).items).toEqual([]);
    expect((await call({ q: '_' })).items).toEqual([]);

    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: bob.user.id } });
    expect((await call({ status: 'deactivated' })).items.map((u) => u.id)).toEqual([bob.user.id]);
    expect((await call({ status: 'active' })).items.map((u) => u.id)).not.toContain(bob.user.id);
    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: bob.user.id } });
    expect((await call({})).items.map((u) => u.id)).not.toContain(bob.user.id);
    expect((await call({ status: 'deleted' })).items.map((u) => u.id)).toEqual([bob.user.id]);
    expect((await call({ status: 'all' })).items.map((u) => u.id)).toContain(bob.user.id);

    expect(await refused(call({ status: 'gone' }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(call({ q: 'x'.repeat(101) }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(call({ sort: 'name' }))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('pages through users without skipping or repeating', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const more = [];
    // Equal names make the id the tie-breaker across a page boundary.
    for (let i = 0; i < 5; i++) more.push(await makeUser(t(), { org, displayName: i < 3 ? 'Same Name' : `Person ${i}` }));
    const all = [admin, member, ...more].map((u) => u.user.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(seen.sort()).toEqual([...all].sort());
    expect(new Set(seen).size).toBe(all.length);
    expect(pages).toBe(4);

    const q = (query: Record<string, unknown>) => admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: query as never });
    expect(await refused(q({ cursor: 'not-a-cursor' }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(q({ cursor: Buffer.from('[1,2]').toString('base64url') }))).toMatchObject({ status: 400 });
    expect(await refused(q({ limit: 0 }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(q({ limit: 101 }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(q({ limit: 'ten' }))).toMatchObject({ status: 400, code: 'invalid_request' });
    // Decimal digits only, as every other list takes them.
    for (const limit of ['0x10', ' 10', '1e1', '+5']) expect(await refused(q({ limit })), limit).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('filters accented and non-Latin names in any case, the same on both databases', async () => {
    const { org, admin } = await orgWithAdmin(t());
    const elodie = await makeUser(t(), { org, displayName: 'Élodie Alpha' });
    const emile = await makeUser(t(), { org, displayName: 'émile Beta' });
    const elise = await makeUser(t(), { org, displayName: 'Ann Élise' });
    const asa = await makeUser(t(), { org, displayName: 'ÅSA Berg' });
    const odysseus = await makeUser(t(), { org, displayName: 'ΟΔΥΣΣΕΥΣ' });
    const ids = async (q: string) => (await admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: { q } })).items.map((u) => u.id);
    // Sorted by lower-cased name: "ann élise", "élodie alpha", "émile beta".
    expect(await ids('É')).toEqual([elise.user.id, elodie.user.id, emile.user.id]);
    expect(await ids('é')).toEqual([elise.user.id, elodie.user.id, emile.user.id]);
    expect(await ids('ÉLODIE ALPHA')).toEqual([elodie.user.id]);
    expect(await ids('åsa')).toEqual([asa.user.id]);
    expect(await ids('ΟΔΥΣ')).toEqual([odysseus.user.id]);
    expect(await ids('οδυσσευσ')).toEqual([odysseus.user.id]);
  });

  it('pages one by one over accented and capitalized names in the order of one page', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const names = ['Élodie Alpha', 'émile Beta', 'Émile Beta', 'elodie', 'Zoë', 'zoe', 'ÅSA', 'åsa', 'Bob', 'bob', 'İpek', 'ΟΔΥΣΣΕΥΣ', 'Οδυσσεύς', 'Ωmega'];
    const more = [];
    for (const displayName of names) more.push(await makeUser(t(), { org, displayName }));
    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: more[3]!.user.id } });
    const all = [admin, member, ...more].map((u) => u.user.id);
    const list = (query: Record<string, unknown>) => admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: { status: 'all', ...query } as never });

    const whole = (await list({ limit: 100 })).items.map((u) => u.id);
    expect([...whole].sort()).toEqual([...all].sort());
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages <= all.length + 1; pages++) {
      const page = await list({ limit: 1, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((u) => u.id));
      cursor = page.next;
      if (!cursor) break;
    }
    expect(seen).toEqual(whole);
  });

  it('refuses to create a user at a domain another org has verified; its own and unclaimed domains are fine', async () => {
    const { org, admin } = await orgWithAdmin(t());
    const other = await makeOrg(t().ctx, { plan: 'paid' });
    const squat = `squat-${uniq()}@${other.domain.toUpperCase()}`;
    const err = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: squat, displayName: 'Squatter' } }).then(
      () => null,
      (e: { status: number; code: string; message: string }) => e,
    );
    expect(err).toMatchObject({ status: 409, code: 'email_domain_claimed' });
    // Nothing was made: the owner of the address signs up and joins the org of their domain.
    expect(await t().ctx.db.selectFrom('users').select('id').where('email_norm', '=', squat.toLowerCase()).executeTakeFirst()).toBeUndefined();
    const own = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `own-${uniq()}@${org.domain}`, displayName: 'Own' } });
    expect(own.user.orgId).toBe(org.id);
    const outside = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `contractor-${uniq()}@unclaimed-${uniq()}.example`, displayName: 'Contractor' } });
    expect(outside.user.orgId).toBe(org.id);
  });

  it('adds nobody to a personal (basic) org: its admin cannot take someone else’s address', async () => {
    const me = await makeUser(t(), { plan: 'basic', role: 'admin' });
    const victim = `ceo-${uniq()}@bigcorp-${uniq()}.example`;
    expect(await refused(me.api.call(api.orgs.createUser, { params: { id: me.org.id }, body: { email: victim, displayName: 'The CEO' } }))).toMatchObject({
      status: 403,
      code: 'personal_org',
    });
    expect(await t().ctx.db.selectFrom('users').select('id').where('email_norm', '=', victim).executeTakeFirst()).toBeUndefined();
    expect(await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', victim).executeTakeFirst()).toBeUndefined();
    // The owner of the address signs up as usual.
    const res = await t().anon().call(api.auth.signup, { body: { email: victim, password: TEST_PASSWORD, displayName: 'Real CEO' } });
    expect(res).toBeTruthy();
  });

  it('mails one address at most three invitations an hour, however often its account is deleted and made again', async () => {
    const { org, admin } = await orgWithAdmin(t());
    const email = `again-${uniq()}@${org.domain}`;
    for (let i = 0; i < 3; i++) {
      const { user } = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email, displayName: `Again ${i}` } });
      await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: user.id } });
    }
    expect(await refused(admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email, displayName: 'Fourth' } }))).toMatchObject({ status: 429, code: 'rate_limited' });
    const mails = await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', email).execute();
    expect(mails).toHaveLength(3);
    // Another address is not held up by it.
    await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `other-${uniq()}@${org.domain}`, displayName: 'Other' } });
  });

  it('creates a user who sets a password by the invitation link and signs in', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const email = `New.Person-${uniq()}@${org.domain}`;
    const { user } = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email, displayName: 'New Person' } });
    expect(user).toMatchObject({ email, displayName: 'New Person', orgId: org.id, role: 'member', status: 'active', emailVerified: false });

    const mail = await t().smtp.waitFor(email);
    const link = new URL(linkIn(mail));
    expect(link.origin + link.pathname).toBe(`${t().url}/reset-password`);
    expect(link.searchParams.get('invite')).toBe('1');
    expect(mail.text).toContain('Admin Person');
    const token = link.searchParams.get('token')!;
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: 'a brand new password' } });
    const login = await t().anon().call(api.auth.login, { body: { email: email.toLowerCase(), password: 'a brand new password' } });
    expect(login.user.id).toBe(user.id);

    const again = await refused(admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: ` ${email.toUpperCase()} `, displayName: 'Dup' } }));
    expect(again).toMatchObject({ status: 409, code: 'email_taken' });
    // An email held in another org is taken too.
    const outsider = await makeUser(t());
    expect(await refused(admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: outsider.email, displayName: 'Dup' } }))).toMatchObject({
      status: 409,
      code: 'email_taken',
    });

    const boss = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `boss-${uniq()}@${org.domain}`, displayName: 'Boss', role: 'admin' } });
    expect(boss.user.role).toBe('admin');

    const bad = (body: unknown) => refused(admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: body as never }));
    expect(await bad({ email: 'not an email', displayName: 'X' })).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await bad({ email: `a-${uniq()}@x.example`, displayName: '' })).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await bad({ email: `a-${uniq()}@x.example`, displayName: 'X', role: 'owner' })).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await bad({ email: `a-${uniq()}@x.example`, displayName: 'X', extra: 1 })).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await refused(member.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `m-${uniq()}@x.example`, displayName: 'X' } }))).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
  });

  it('deactivates: sessions end, sign-in is refused; reactivation restores', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const params = { id: org.id, uid: member.user.id };
    expect(await refused(member.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: admin.user.id } }))).toMatchObject({ status: 403, code: 'forbidden' });

    // A reset link asked for before the deactivation…
    await t().anon().call(api.auth.passwordReset, { body: { email: member.email } });
    const resetToken = new URL(linkIn(await t().smtp.waitFor(member.email))).searchParams.get('token')!;
    const { user } = await admin.api.call(api.orgs.deactivateUser, { params });
    expect(user.status).toBe('deactivated');
    expect(await refused(member.api.call(api.auth.me))).toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(await refused(t().anon().call(api.auth.login, { body: { email: member.email, password: TEST_PASSWORD } }))).toMatchObject({
      status: 403,
      code: 'account_inactive',
    });
    // Deactivating again changes nothing.
    expect((await admin.api.call(api.orgs.deactivateUser, { params })).user.status).toBe('deactivated');

    expect((await admin.api.call(api.orgs.reactivateUser, { params })).user.status).toBe('active');
    // The old session stays ended; a fresh sign-in works.
    expect(await refused(member.api.call(api.auth.me))).toMatchObject({ status: 401 });
    const login = await t().anon().call(api.auth.login, { body: { email: member.email, password: TEST_PASSWORD } });
    expect(login.user.status).toBe('active');
    // …is dead, also after the reactivation.
    expect(await refused(t().anon().call(api.auth.passwordResetConfirm, { body: { token: resetToken, password: 'taken over maybe' } }))).toMatchObject({ status: 400, code: 'invalid_token' });

    expect(await refused(admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: 'nobody' } }))).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('deletes: a tombstone with its name kept, the email free for a new user', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const params = { id: org.id, uid: member.user.id };
    const { user } = await admin.api.call(api.orgs.deleteUser, { params });
    expect(user).toMatchObject({ id: member.user.id, status: 'deleted', displayName: member.user.display_name });
    expect(await refused(member.api.call(api.auth.me))).toMatchObject({ status: 401 });
    const row = await getUserWithOrg(t().ctx.db, member.user.id);
    expect(row).toMatchObject({ status: 'deleted', password_hash: null, display_name: member.user.display_name });
    expect(row?.deleted_at).toBeTruthy();
    const open = await t().ctx.db.selectFrom('sessions').select('id').where('user_id', '=', member.user.id).where('revoked_at', 'is', null).execute();
    expect(open).toEqual([]);
    expect(await refused(t().anon().call(api.auth.login, { body: { email: member.email, password: TEST_PASSWORD } }))).toMatchObject({ status: 401 });

    // Rule 6: the same email makes a new user.
    const again = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: member.email, displayName: 'Second Life' } });
    expect(again.user.id).not.toBe(member.user.id);
    expect(again.user.status).toBe('active');
    // Deleted again, the email may even start over in another org.
    expect((await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: again.user.id } })).user.status).toBe('deleted');
    const other = await makeOrg(t().ctx);
    const third = await makeUser(t(), { org: other, email: member.email });
    expect(third.user.id).not.toBe(member.user.id);
    expect(third.user.id).not.toBe(again.user.id);

    // Deleted is final: deleting again answers the tombstone, other changes are refused.
    expect((await admin.api.call(api.orgs.deleteUser, { params })).user.status).toBe('deleted');
    expect(await refused(admin.api.call(api.orgs.reactivateUser, { params }))).toMatchObject({ status: 409, code: 'user_deleted' });
    expect(await refused(admin.api.call(api.orgs.deactivateUser, { params }))).toMatchObject({ status: 409, code: 'user_deleted' });
    expect(await refused(admin.api.call(api.orgs.setUserRole, { params, body: { role: 'admin' } }))).toMatchObject({ status: 409, code: 'user_deleted' });
  });

  it('never removes the last active admin', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const self = { id: org.id, uid: admin.user.id };
    expect(await refused(admin.api.call(api.orgs.deactivateUser, { params: self }))).toMatchObject({ status: 409, code: 'last_admin' });
    expect(await refused(admin.api.call(api.orgs.deleteUser, { params: self }))).toMatchObject({ status: 409, code: 'last_admin' });
    expect(await refused(admin.api.call(api.orgs.setUserRole, { params: self, body: { role: 'member' } }))).toMatchObject({ status: 409, code: 'last_admin' });
    expect((await getUserWithOrg(t().ctx.db, admin.user.id))).toMatchObject({ status: 'active', role: 'admin' });

    // With a second admin, the first may step down; a deactivated admin does not count.
    const promoted = await admin.api.call(api.orgs.setUserRole, { params: { id: org.id, uid: member.user.id }, body: { role: 'admin' } });
    expect(promoted.user.role).toBe('admin');
    expect((await member.api.call(api.orgs.listUsers, { params: { id: org.id }, query: {} })).items.length).toBe(2);
    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: member.user.id } });
    expect(await refused(admin.api.call(api.orgs.deleteUser, { params: self }))).toMatchObject({ status: 409, code: 'last_admin' });
    await admin.api.call(api.orgs.reactivateUser, { params: { id: org.id, uid: member.user.id } });
    const second = await t().anon().call(api.auth.login, { body: { email: member.email, password: TEST_PASSWORD } });
    const demoted = await admin.api.call(api.orgs.setUserRole, { params: self, body: { role: 'member' } });
    expect(demoted.user.role).toBe('member');
    // The former admin has lost admin rights at once.
    expect(await refused(admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: {} }))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await refused(t().client(second.token).call(api.orgs.setUserRole, { params: { id: org.id, uid: member.user.id }, body: { role: 'member' } }))).toMatchObject({
      status: 409,
      code: 'last_admin',
    });
    expect(await refused(t().client(second.token).call(api.orgs.setUserRole, { params: self, body: { role: 'boss' as never } }))).toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
  });

  it('keeps one active admin when two admins remove each other at the same moment', async () => {
    for (let round = 0; round < 3; round++) {
      const org = await makeOrg(t().ctx);
      const a = await makeUser(t(), { org, role: 'admin' });
      const b = await makeUser(t(), { org, role: 'admin' });
      const results = await Promise.allSettled([
        a.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: b.user.id } }),
        b.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: a.user.id } }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const admins = await t().ctx.db.selectFrom('users').select('id').where('org_id', '=', org.id).where('role', '=', 'admin').where('status', '=', 'active').execute();
      expect(admins).toHaveLength(1);
    }
  });
});
