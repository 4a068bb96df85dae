import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { testDatabases } from '../testing/databases.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser, TEST_PASSWORD, uniq } from '../testing/factories.js';
import { startTestServer, type TestServer } from '../testing/server.js';
import { MAX_RESET_MAILS_PER_HOUR } from './reset-service.js';
import { MAX_VERIFY_MAILS_PER_HOUR } from './signup-service.js';
import { loginFrom, PASSWORD } from './test-helpers.js';
import { doBeginLoginAttempt, doRecordLoginFailure, MAX_ACCOUNT_FAILURES, MAX_IP_FAILURES, PENDING_RETRY_SECONDS } from './throttle.js';

// The limits are decided by the database, not by the order requests happen to arrive in: a
// burst of parallel requests, each passing the limit's check before any of them is recorded,
// must not get more than the limit allows.

const count = <T>(xs: readonly T[], x: T) => xs.filter((y) => y === x).length;

describeEachDb('accounts: limits under parallel requests', (t) => {
  it('a burst of wrong passwords from many addresses has at most 5 checked; the rest are 429, even the right password', async () => {
    const u = await makeUser(t());
    const tries = Array.from({ length: 40 }, (_, i) => ({ ip: `127.0.1.${i + 1}`, password: i === 20 ? TEST_PASSWORD : `wrong password ${i}` }));
    const answers = await Promise.all(tries.map((x) => loginFrom(t().url, x.ip, u.email, x.password)));
    const statuses = answers.map((a) => a.status);
    expect(count(statuses, 401)).toBeLessThanOrEqual(MAX_ACCOUNT_FAILURES);
    expect(count(statuses, 401) + count(statuses, 429) + count(statuses, 200)).toBe(40);
    // Only the right password can succeed, and only when it was among the first attempts checked.
    expect(count(statuses, 200)).toBeLessThanOrEqual(1);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.body.error?.code).toBe('rate_limited');
      expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('a burst of 40 wrong passwords for one account checks exactly 5', async () => {
    const u = await makeUser(t());
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => loginFrom(t().url, `127.0.2.${i + 1}`, u.email, `wrong password ${i}`)));
    const statuses = answers.map((a) => a.status);
    expect([count(statuses, 401), count(statuses, 429)]).toEqual([MAX_ACCOUNT_FAILURES, 40 - MAX_ACCOUNT_FAILURES]);
    // Settled: the account stays locked for the right password, as after sequential failures.
    const after = await loginFrom(t().url, '127.0.2.100', u.email, TEST_PASSWORD);
    expect(after.status).toBe(429);
    expect(Number(after.headers['retry-after'])).toBeGreaterThan(890);
  });

  it('an attempt refused only by others still being checked is told to retry shortly; once they fail, in 15 minutes', async () => {
    const u = await makeUser(t());
    const pending = [];
    for (let i = 0; i < MAX_ACCOUNT_FAILURES; i++) pending.push(await doBeginLoginAttempt(t().ctx, u.email, `127.0.6.${i + 1}`));
    const early = await loginFrom(t().url, '127.0.6.100', u.email, TEST_PASSWORD);
    expect(early.status).toBe(429);
    expect(Number(early.headers['retry-after'])).toBe(PENDING_RETRY_SECONDS);
    for (const p of pending) await doRecordLoginFailure(t().ctx.db, p);
    const late = await loginFrom(t().url, '127.0.6.100', u.email, TEST_PASSWORD);
    expect(late.status).toBe(429);
    expect(Number(late.headers['retry-after'])).toBeGreaterThan(890);
  });

  it('a burst of failures from one address across accounts checks exactly 30', async () => {
    const ip = '127.0.3.1';
    const answers = await Promise.all(Array.from({ length: 40 }, () => loginFrom(t().url, ip, `guess-${uniq()}@nowhere.example`, 'wrong password')));
    const statuses = answers.map((a) => a.status);
    expect([count(statuses, 401), count(statuses, 429)]).toEqual([MAX_IP_FAILURES, 40 - MAX_IP_FAILURES]);
  });

  it('parallel sign-ins with the right password succeed and leave no failures behind', async () => {
    const u = await makeUser(t());
    const answers = await Promise.all(Array.from({ length: 3 }, (_, i) => loginFrom(t().url, `127.0.4.${i + 1}`, u.email, TEST_PASSWORD)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await t().ctx.db.selectFrom('login_failures').select('id').where('key', 'like', `%${u.email}`).execute()).toHaveLength(0);
    expect(await t().ctx.db.selectFrom('login_failures').select('id').where('key', 'like', 'ip:127.0.4.%').execute()).toHaveLength(0);
  });

  it('a sign-in forgives the failures before it, not a guess still being checked alongside it', async () => {
    const u = await makeUser(t());
    for (let i = 0; i < 2; i++) expect((await loginFrom(t().url, '127.0.5.1', u.email, 'wrong password')).status).toBe(401);
    const guess = await doBeginLoginAttempt(t().ctx, u.email, '127.0.5.2');
    expect((await loginFrom(t().url, '127.0.5.3', u.email, TEST_PASSWORD)).status).toBe(200);
    await doRecordLoginFailure(t().ctx.db, guess);
    // The guess counts: four more failures lock the account.
    for (let i = 0; i < MAX_ACCOUNT_FAILURES - 1; i++) expect((await loginFrom(t().url, '127.0.5.1', u.email, 'wrong password')).status).toBe(401);
    expect((await loginFrom(t().url, '127.0.5.1', u.email, TEST_PASSWORD)).status).toBe(429);
  });

  it('30 parallel sign-ups with one email mail exactly 5 verification links', async () => {
    const email = `burst-${uniq()}@mail-${uniq()}.example`;
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t().anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: `Burst ${i}` } })),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(answers.filter((a) => a.verificationSent)).toHaveLength(MAX_VERIFY_MAILS_PER_HOUR);
    await t().ctx.mailer.flush();
    expect(await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', email).execute()).toHaveLength(MAX_VERIFY_MAILS_PER_HOUR);
    expect(t().smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(MAX_VERIFY_MAILS_PER_HOUR);
    // One sign-up remains, with one usable link.
    expect(await t().ctx.db.selectFrom('signups').select('id').where('email_norm', '=', email).execute()).toHaveLength(1);
    expect(await t().ctx.db.selectFrom('email_tokens').select('id').where('email_norm', '=', email).where('used_at', 'is', null).execute()).toHaveLength(1);
  });

  it('30 parallel reset requests for one email mail exactly 3 reset links', async () => {
    const u = await makeUser(t());
    const answers = await Promise.all(Array.from({ length: 30 }, () => t().anon().call(api.auth.passwordReset, { body: { email: u.email } })));
    expect(answers.every((a) => a.ok)).toBe(true);
    await t().ctx.mailer.flush();
    expect(await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', u.email).where('kind', '=', 'reset').execute()).toHaveLength(MAX_RESET_MAILS_PER_HOUR);
    expect(t().smtp.mails.filter((m) => m.to.includes(u.email))).toHaveLength(MAX_RESET_MAILS_PER_HOUR);
  });
});

// Two nodes on one PostgreSQL database share no memory: only the database can hold the limits.
(testDatabases().includes('postgres') ? describe : describe.skip)('accounts: limits under parallel requests to two nodes [postgres]', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer('postgres');
    b = await startTestServer('postgres', { database: a.db });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  const node = (i: number) => (i % 2 === 0 ? a : b);

  it('sign-in: 40 wrong passwords spread over both nodes check exactly 5', async () => {
    const u = await makeUser(a);
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => loginFrom(node(i).url, `127.0.6.${i + 1}`, u.email, `wrong password ${i}`)));
    const statuses = answers.map((x) => x.status);
    expect([count(statuses, 401), count(statuses, 429)]).toEqual([MAX_ACCOUNT_FAILURES, 40 - MAX_ACCOUNT_FAILURES]);
  });

  it('sign-up and reset: 30 requests over both nodes mail exactly 5 and 3 links', async () => {
    const email = `nodes-${uniq()}@mail-${uniq()}.example`;
    const u = await makeUser(a);
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => node(i).anon().call(api.auth.signup, { body: { email, password: PASSWORD, displayName: `Nodes ${i}` } })),
      ...Array.from({ length: 30 }, (_, i) => node(i).anon().call(api.auth.passwordReset, { body: { email: u.email } })),
    ]);
    await Promise.all([a.ctx.mailer.flush(), b.ctx.mailer.flush()]);
    const outbox = (to: string) => a.ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', to).execute();
    expect(await outbox(email)).toHaveLength(MAX_VERIFY_MAILS_PER_HOUR);
    expect(await outbox(u.email)).toHaveLength(MAX_RESET_MAILS_PER_HOUR);
  });
});
