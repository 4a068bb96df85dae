import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { hashSecret } from './tokens.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';
import { nowIso } from '../db/util.js';
import { listOutbox } from '../mail/mailer.js';
import { insertUser } from './store.js';
import { mailsSoFar, PASSWORD, refusal, signUpAndVerify, tokenFromMail } from './test-helpers.js';

describeEachDb('accounts: sign-up and verification', (t) => {
  it('signs up, mails a verification link over SMTP, verifies, signs in and answers /me', async () => {
    const email = `Ann-${uniq()}@Mail-${uniq()}.example`;
    const answer = await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Ann Example' } });
    expect(answer).toEqual({ ok: true, verificationSent: true });

    const mail = await t().smtp.waitFor(email);
    expect(mail.subject).toMatch(/confirm/i);
    const { token, link } = await tokenFromMail(t(), email, /confirm/i);
    expect(link.startsWith(`${t().ctx.config.publicUrl}/verify?token=`)).toBe(true);
    // The link sits alone on its own line, so mail clients make it clickable.
    expect(mail.text.split(/\r?\n/)).toContain(link);
    // Only the hash of the token is stored.
    const stored = await t().ctx.db.selectFrom('email_tokens').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirstOrThrow();
    expect(stored.kind).toBe('verify');
    const ttl = Date.parse(stored.expires_at) - Date.parse(stored.created_at);
    expect(ttl).toBe(48 * 3600 * 1000);
    expect(await t().ctx.db.selectFrom('email_tokens').select('id').where('token_hash', '=', token).execute()).toHaveLength(0);

    // No user exists before verification.
    expect(await t().ctx.db.selectFrom('users').select('id').where('email_norm', '=', email.toLowerCase()).execute()).toHaveLength(0);

    const { user } = await t().anon().call(api.auth.verify, { body: { token } });
    expect(user).toMatchObject({ email, displayName: 'Ann Example', role: 'admin', status: 'active', emailVerified: true, orgName: 'Ann Example' });
    // The sign-up and its tokens are gone.
    expect(await t().ctx.db.selectFrom('signups').select('id').where('email_norm', '=', email.toLowerCase()).execute()).toHaveLength(0);
    expect(await t().ctx.db.selectFrom('email_tokens').select('id').where('email_norm', '=', email.toLowerCase()).execute()).toHaveLength(0);

    const login = await t().anon().call(api.auth.login, { body: { email: `  ${email.toUpperCase()} `, password: PASSWORD } });
    expect(login.user.id).toBe(user.id);
    const me = await t().client(login.token).call(api.auth.me);
    expect(me.user).toEqual(user);
    expect(me.org).toMatchObject({ id: user.orgId, plan: 'basic', name: 'Ann Example', domains: [] });
    expect(me.capabilities.externalMessaging).toEqual({ allowed: true });

    const audit = await t().ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', user.orgId).where('action', '=', 'user.joined').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.target_id).toBe(user.id);
  });

  it('signs in with the session cookie: Set-Cookie from login works for GET /me', async () => {
    const { email, password, user } = await signUpAndVerify(t());
    const res = await fetch(`${t().url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^parley_session=[^;]+/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=2592000/);
    // The test server's public URL is http, so the cookie is not marked Secure.
    expect(setCookie).not.toMatch(/Secure/i);
    const cookie = setCookie.split(';')[0]!;
    const me = await fetch(`${t().url}/api/v1/me`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { id: string } }).user.id).toBe(user.id);
    // Without the cookie, nobody is signed in.
    const anon = await fetch(`${t().url}/api/v1/me`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('refuses a used, unknown or expired verification token with invalid_token', async () => {
    const email = `once-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Once' } });
    const { token } = await tokenFromMail(t(), email, /confirm/i);
    await t().anon().call(api.auth.verify, { body: { token } });
    const again = await refusal(t().anon().call(api.auth.verify, { body: { token } }));
    expect([again.status, again.code]).toEqual([400, 'invalid_token']);
    const unknown = await refusal(t().anon().call(api.auth.verify, { body: { token: 'not-a-token' } }));
    expect([unknown.status, unknown.code]).toEqual([400, 'invalid_token']);

    const late = `late-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email: late, password: PASSWORD, displayName: 'Late' } });
    const { token: lateToken } = await tokenFromMail(t(), late, /confirm/i);
    await t().ctx.db.updateTable('email_tokens').set({ expires_at: nowIso(Date.now() - 1000) }).where('token_hash', '=', hashSecret(lateToken)).execute();
    const expired = await refusal(t().anon().call(api.auth.verify, { body: { token: lateToken } }));
    expect([expired.status, expired.code]).toEqual([400, 'invalid_token']);
    expect(await t().ctx.db.selectFrom('users').select('id').where('email_norm', '=', late).execute()).toHaveLength(0);
  });

  it('a second sign-up replaces the first, and neither password counts: whoever verifies chooses it', async () => {
    // The first may be the owner's and the second someone else's (or the other way round); the
    // owner may open either mail. No password chosen before the address was proven is kept.
    const email = `twice-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email, password: 'first password 1', displayName: 'First' } });
    const { token: first } = await tokenFromMail(t(), email, /confirm/i);
    const seen = mailsSoFar(t());
    await t().anon().call(api.auth.signup, { body: { email, password: 'second password 2', displayName: 'Second' } });
    const { token: second } = await tokenFromMail(t(), email, /confirm/i, seen);
    expect((await refusal(t().anon().call(api.auth.verify, { body: { token: first } }))).code).toBe('invalid_token');
    const verified = await t().anon().call(api.auth.verify, { body: { token: second } });
    expect(verified.user.displayName).toBe('Second');
    expect(verified.setPasswordToken).toEqual(expect.any(String));
    for (const password of ['first password 1', 'second password 2']) {
      expect((await refusal(t().anon().call(api.auth.login, { body: { email, password } }))).code).toBe('invalid_credentials');
    }
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token: verified.setPasswordToken!, password: 'chosen after proof 3' } });
    await t().anon().call(api.auth.login, { body: { email, password: 'chosen after proof 3' } });
    // A single sign-up keeps its password and needs no second step.
    const once = `once-more-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email: once, password: 'only password 4', displayName: 'Once' } });
    const alone = await t().anon().call(api.auth.verify, { body: { token: (await tokenFromMail(t(), once, /confirm/i)).token } });
    expect(alone.setPasswordToken).toBeUndefined();
    await t().anon().call(api.auth.login, { body: { email: once, password: 'only password 4' } });
  });

  it('answers 409 email_taken to a sign-up with the email of an existing user, in any case', async () => {
    const { email } = await signUpAndVerify(t());
    const err = await refusal(t().anon().call(api.auth.signup, { body: { email: email.toUpperCase(), password: PASSWORD, displayName: 'Again' } }));
    expect([err.status, err.code]).toEqual([409, 'email_taken']);
    expect((await t().anon().call(api.auth.signup, { body: { email: `fresh-${uniq()}@x-${uniq()}.example`, password: PASSWORD, displayName: 'Fresh' } })).ok).toBe(true);
  });

  it('answers 409 email_taken pointing to password reset for an admin-created user without a password', async () => {
    const org = await makeOrg(t().ctx);
    const email = `made-${uniq()}@${org.domain}`;
    await insertUser(t().ctx.db, { orgId: org.id, email, emailNorm: email, displayName: 'Made', passwordHash: null, role: 'member', verified: false });
    const err = await refusal(t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Made' } }));
    expect([err.status, err.code]).toEqual([409, 'email_taken']);
    expect(err.message).toMatch(/password/i);
  });

  it('a deleted user does not hold their email: signing up again makes a new user', async () => {
    const first = await signUpAndVerify(t());
    await t().ctx.db.updateTable('users').set({ status: 'deleted', deleted_at: nowIso() }).where('id', '=', first.user.id).execute();
    const second = await signUpAndVerify(t(), { email: first.email });
    expect(second.user.id).not.toBe(first.user.id);
  });

  it('joins the org owning the verified domain as a member', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const { user } = await signUpAndVerify(t(), { email: `joiner-${uniq()}@${org.domain}` });
    expect(user).toMatchObject({ orgId: org.id, orgName: org.name, role: 'member' });
    const login = await t().anon().call(api.auth.login, { body: { email: user.email, password: PASSWORD } });
    const me = await t().client(login.token).call(api.auth.me);
    expect(me.org).toMatchObject({ id: org.id, plan: 'paid', domains: [org.domain] });
    // A paid org starts with cross-org messaging off.
    expect(me.capabilities.externalMessaging).toMatchObject({ allowed: false, reason: 'sender_org_disabled' });
    const audit = await t().ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', org.id).where('action', '=', 'user.joined').execute();
    expect(audit.map((a) => a.target_id)).toEqual([user.id]);
  });

  it('joins as admin when an operator named the email, and uses the mark up', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const email = `boss-${uniq()}@${org.domain}`;
    await t().ctx.db.insertInto('org_pending_admins').values({ org_id: org.id, email_norm: email, created_at: nowIso() }).execute();
    const { user } = await signUpAndVerify(t(), { email: email.toUpperCase() });
    expect(user).toMatchObject({ orgId: org.id, role: 'admin' });
    expect(await t().ctx.db.selectFrom('org_pending_admins').selectAll().where('org_id', '=', org.id).execute()).toHaveLength(0);
  });

  it('another domain, or an org without self sign-up, gives a new basic org with the person as its admin', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const { user } = await signUpAndVerify(t(), { email: `other-${uniq()}@else-${uniq()}.example`, displayName: 'Olga Other' });
    expect(user.orgId).not.toBe(org.id);
    expect(user).toMatchObject({ role: 'admin', orgName: 'Olga Other' });
    const row = await t().ctx.db.selectFrom('orgs').selectAll().where('id', '=', user.orgId).executeTakeFirstOrThrow();
    expect(row.plan).toBe('basic');

    const closed = await makeOrg(t().ctx, { plan: 'paid' });
    await t().ctx.db.updateTable('orgs').set({ self_signup: 0 }).where('id', '=', closed.id).execute();
    const { user: outsider } = await signUpAndVerify(t(), { email: `closed-${uniq()}@${closed.domain}` });
    expect(outsider.orgId).not.toBe(closed.id);
    expect(outsider.role).toBe('admin');
  });

  it('does not join an org through an unverified domain', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const domain = `unverified-${uniq()}.example`;
    await t().ctx.db.insertInto('org_domains').values({ domain, org_id: org.id, verified: 0, created_at: nowIso() }).execute();
    const { user } = await signUpAndVerify(t(), { email: `u-${uniq()}@${domain}` });
    expect(user.orgId).not.toBe(org.id);
  });

  it('refuses verification with email_taken when the email got a user meanwhile', async () => {
    const org = await makeOrg(t().ctx);
    const email = `race-${uniq()}@${org.domain}`;
    await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Race' } });
    const { token } = await tokenFromMail(t(), email, /confirm/i);
    await makeUser(t(), { org, email });
    const err = await refusal(t().anon().call(api.auth.verify, { body: { token } }));
    expect([err.status, err.code]).toEqual([409, 'email_taken']);
  });

  it('two concurrent verifications of one sign-up make exactly one user', async () => {
    const email = `both-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Both' } });
    const { token } = await tokenFromMail(t(), email, /confirm/i);
    const results = await Promise.allSettled([0, 1, 2].map(() => t().anon().call(api.auth.verify, { body: { token } })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(['invalid_token', 'email_taken']).toContain((r.reason as { code: string }).code);
    expect(await t().ctx.db.selectFrom('users').select('id').where('email_norm', '=', email).execute()).toHaveLength(1);
  });
  it('mails at most 5 verification links per email per hour; past that it answers verificationSent:false', async () => {
    const email = `spam-${uniq()}@mail-${uniq()}.example`;
    for (let i = 0; i < 5; i++) {
      expect(await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: `Try ${i}` } })).toEqual({ ok: true, verificationSent: true });
    }
    expect(await t().anon().call(api.auth.signup, { body: { email, password: 'another password', displayName: 'Sixth' } })).toEqual({ ok: true, verificationSent: false });
    await t().ctx.mailer.flush();
    expect(await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', email).execute()).toHaveLength(5);
    // The last link that was sent still works; as the address was signed up for more than once,
    // whoever verifies chooses the password then.
    // (SMTP deliveries may arrive in any order; the outbox keeps the order they were sent in.)
    expect(t().smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(5);
    const [last] = await listOutbox(t().ctx.db, { to: email, limit: 1 });
    const token = new URL(/https?:\/\/\S+/.exec(last!.text)![0]).searchParams.get('token')!;
    const { user, setPasswordToken } = await t().anon().call(api.auth.verify, { body: { token } });
    expect(user.displayName).toBe('Try 4');
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token: setPasswordToken!, password: PASSWORD } });
    await t().anon().call(api.auth.login, { body: { email, password: PASSWORD } });
  });
});
