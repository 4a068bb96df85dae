import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { nowIso } from '../db/util.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../testing/factories.js';
import { insertUser } from './store.js';
import { loginFrom, PASSWORD, refusal, signUpAndVerify } from './test-helpers.js';

describeEachDb('accounts: sign-in, sign-out', (t) => {
  it('answers the same 401 invalid_credentials for a wrong password and an unknown email', async () => {
    const { email } = await signUpAndVerify(t());
    const wrong = await refusal(t().anon().call(api.auth.login, { body: { email, password: 'not the password' } }));
    const unknown = await refusal(t().anon().call(api.auth.login, { body: { email: `nobody-${uniq()}@nowhere.example`, password: 'not the password' } }));
    expect([wrong.status, wrong.code]).toEqual([401, 'invalid_credentials']);
    expect([unknown.status, unknown.body]).toEqual([401, wrong.body]);
  });

  it('spends comparable time on unknown emails and on wrong passwords', async () => {
    const { email } = await signUpAndVerify(t());
    const time = async (e: string) => {
      const start = performance.now();
      await refusal(t().anon().call(api.auth.login, { body: { email: e, password: 'definitely wrong' } }));
      return performance.now() - start;
    };
    // The least of a few tries of each: a busy machine only ever adds time, so the minimum is
    // the cost itself and one slow try cannot decide the comparison. The tries alternate, so a
    // spell of load on the machine slows both kinds rather than all the tries of one.
    let known = Infinity;
    let unknown = Infinity;
    for (let i = 0; i < 4; i++) {
      known = Math.min(known, await time(email));
      unknown = Math.min(unknown, await time(`ghost-${uniq()}@nowhere.example`));
    }
    // Both run one argon2id computation (tens of milliseconds); without it the unknown email would answer in ~1 ms.
    expect(unknown).toBeGreaterThan(known / 4);
  });

  it('refuses a pending sign-up with the right password as email_not_verified, and a wrong one as invalid_credentials', async () => {
    const email = `pending-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: 'Pending' } });
    const right = await refusal(t().anon().call(api.auth.login, { body: { email, password: PASSWORD } }));
    expect([right.status, right.code]).toEqual([403, 'email_not_verified']);
    const wrong = await refusal(t().anon().call(api.auth.login, { body: { email, password: 'wrong password' } }));
    expect([wrong.status, wrong.code]).toEqual([401, 'invalid_credentials']);
  });

  it('refuses a deactivated user with the right password as account_inactive, and says nothing about status to a wrong one', async () => {
    const u = await makeUser(t());
    await t().ctx.db.updateTable('users').set({ status: 'deactivated', deactivated_at: nowIso() }).where('id', '=', u.user.id).execute();
    const right = await refusal(t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } }));
    expect([right.status, right.code]).toEqual([403, 'account_inactive']);
    const wrong = await refusal(t().anon().call(api.auth.login, { body: { email: u.email, password: 'wrong password' } }));
    expect([wrong.status, wrong.code]).toEqual([401, 'invalid_credentials']);
    // Its existing session no longer works either.
    expect((await refusal(u.api.call(api.auth.me))).status).toBe(401);
  });

  it('a deleted user does not exist for sign-in', async () => {
    const u = await makeUser(t());
    await t().ctx.db.updateTable('users').set({ status: 'deleted', deleted_at: nowIso() }).where('id', '=', u.user.id).execute();
    const err = await refusal(t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } }));
    expect([err.status, err.code]).toEqual([401, 'invalid_credentials']);
  });

  it('an admin-created user without a password cannot sign in with any password', async () => {
    const org = await makeOrg(t().ctx);
    const email = `nopw-${uniq()}@${org.domain}`;
    await insertUser(t().ctx.db, { orgId: org.id, email, emailNorm: email, displayName: 'No Password', passwordHash: null, role: 'member', verified: false });
    const err = await refusal(t().anon().call(api.auth.login, { body: { email, password: 'anything at all' } }));
    expect([err.status, err.code]).toEqual([401, 'invalid_credentials']);
  });

  it('audits sign-ins and failed sign-ins in the user’s org with the address', async () => {
    const u = await makeUser(t());
    await refusal(t().anon().call(api.auth.login, { body: { email: u.email, password: 'wrong password' } }));
    await t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } });
    const rows = await t().ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', u.org.id).orderBy('created_at').orderBy('id').execute();
    expect(rows.map((r) => [r.action, r.target_id, r.ip])).toEqual([
      ['user.login_failed', u.user.id, '127.0.0.1'],
      ['user.login', u.user.id, '127.0.0.1'],
    ]);
    expect(rows[1]!.actor_id).toBe(u.user.id);
  });

  it('sign-out revokes the session and clears the cookie; other sessions stay', async () => {
    const { email, password } = await signUpAndVerify(t());
    const a = await t().anon().call(api.auth.login, { body: { email, password } });
    const b = await t().anon().call(api.auth.login, { body: { email, password } });
    const res = await fetch(`${t().url}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('set-cookie')).toMatch(/parley_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);
    const after = await refusal(t().client(a.token).call(api.auth.me));
    expect([after.status, after.code]).toEqual([401, 'unauthenticated']);
    expect((await t().client(b.token).call(api.auth.me)).user.email).toBe(email);
    // Signing out twice, or without a session, is a 401.
    expect((await refusal(t().client(a.token).call(api.auth.logout))).code).toBe('unauthenticated');
  });

  it('signs out a cookie session', async () => {
    const { email, password } = await signUpAndVerify(t());
    const login = await fetch(`${t().url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await fetch(`${t().url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${t().url}/api/v1/me`, { headers: { cookie } })).status).toBe(401);
  });
});

describeEachDb('accounts: sign-in throttling', (t) => {
  it('locks an account after 5 failures: the 6th attempt is 429 with Retry-After, even with the right password', async () => {
    const u = await makeUser(t());
    const ip = '127.0.0.11';
    for (let i = 0; i < 5; i++) {
      const r = await loginFrom(t().url, ip, u.email, `wrong password ${i}`);
      expect([r.status, r.body.error?.code]).toEqual([401, 'invalid_credentials']);
    }
    const sixth = await loginFrom(t().url, ip, u.email, 'wrong password 6');
    expect([sixth.status, sixth.body.error?.code]).toEqual([429, 'rate_limited']);
    const retry = Number(sixth.headers['retry-after']);
    expect(retry).toBeGreaterThan(890);
    expect(retry).toBeLessThanOrEqual(900);
    expect(sixth.body.error?.retryAfter).toBe(retry);

    const right = await loginFrom(t().url, ip, u.email, TEST_PASSWORD);
    expect([right.status, right.body.error?.code]).toEqual([429, 'rate_limited']);
    // The lock is on the account: from another address too.
    expect((await loginFrom(t().url, '127.0.0.12', u.email.toUpperCase(), TEST_PASSWORD)).status).toBe(429);
    // Other accounts from the same address are not locked.
    const other = await makeUser(t());
    expect((await loginFrom(t().url, ip, other.email, TEST_PASSWORD)).status).toBe(200);

    // Retry-After counts down to when the oldest failure leaves the 15-minute window.
    await t().ctx.db.updateTable('login_failures').set({ at: nowIso(Date.now() - 10 * 60_000) }).where('key', '=', `acct:${u.email}`).execute();
    const later = await loginFrom(t().url, ip, u.email, TEST_PASSWORD);
    expect(later.status).toBe(429);
    expect(Number(later.headers['retry-after'])).toBeGreaterThan(290);
    expect(Number(later.headers['retry-after'])).toBeLessThanOrEqual(300);

    // Once the failures are older than the window, the right password works again.
    await t().ctx.db.updateTable('login_failures').set({ at: nowIso(Date.now() - 16 * 60_000) }).where('key', '=', `acct:${u.email}`).execute();
    expect((await loginFrom(t().url, ip, u.email, TEST_PASSWORD)).status).toBe(200);
  });

  it('a successful sign-in clears the account’s failures', async () => {
    const u = await makeUser(t());
    const ip = '127.0.0.13';
    for (let i = 0; i < 4; i++) expect((await loginFrom(t().url, ip, u.email, 'wrong password')).status).toBe(401);
    expect((await loginFrom(t().url, ip, u.email, TEST_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await loginFrom(t().url, ip, u.email, 'wrong password')).status).toBe(401);
    expect((await loginFrom(t().url, ip, u.email, TEST_PASSWORD)).status).toBe(429);
  });

  it('locks an address after 30 failures, across accounts; other addresses are not affected', async () => {
    const u = await makeUser(t());
    const ip = '127.0.0.14';
    for (let i = 0; i < 30; i++) {
      const r = await loginFrom(t().url, ip, `guess-${i}-${uniq()}@nowhere.example`, 'wrong password');
      expect(r.status).toBe(401);
    }
    const locked = await loginFrom(t().url, ip, u.email, TEST_PASSWORD);
    expect([locked.status, locked.body.error?.code]).toEqual([429, 'rate_limited']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const elsewhere = await loginFrom(t().url, '127.0.0.15', u.email, TEST_PASSWORD);
    expect(elsewhere.status).toBe(200);
    expect(typeof elsewhere.body.token).toBe('string');
  });
});
