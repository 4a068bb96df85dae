import { expect, it, vi } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';
import { afterUserVerified } from './after-verify.js';
import { insertUser } from './store.js';
import { doIssueEmailToken } from './tokens.js';
import { signUpAndVerify, tokenFromMail } from './test-helpers.js';

// The hook where pending chats get bound: replaced by a spy to see exactly when it runs.
vi.mock('./after-verify.js', () => ({ afterUserVerified: vi.fn(async () => undefined) }));
const hook = vi.mocked(afterUserVerified);

describeEachDb('accounts: the after-verification hook', (t) => {
  it('runs once after a sign-up is verified, with the new user', async () => {
    hook.mockClear();
    const { user } = await signUpAndVerify(t());
    expect(hook).toHaveBeenCalledTimes(1);
    expect(hook.mock.calls[0]![0]).toBe(t().ctx);
    expect(hook.mock.calls[0]![1]).toBe(user.id);
  });

  it('runs when an invite link verifies the email, not when a verified user resets a password', async () => {
    const org = await makeOrg(t().ctx);
    const email = `inv-${uniq()}@${org.domain}`;
    const row = await insertUser(t().ctx.db, { orgId: org.id, email, emailNorm: email, displayName: 'Inv', passwordHash: null, role: 'member', verified: false });
    const token = await doIssueEmailToken(t().ctx.db, { kind: 'invite', userId: row.id, emailNorm: email, ttlMs: 60_000 });
    hook.mockClear();
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: 'first password here' } });
    expect(hook.mock.calls.map((c) => c[1])).toEqual([row.id]);

    const u = await makeUser(t());
    await t().anon().call(api.auth.passwordReset, { body: { email: u.email } });
    const reset = await tokenFromMail(t(), u.email, /reset/i);
    hook.mockClear();
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token: reset.token, password: 'a new password here' } });
    expect(hook).not.toHaveBeenCalled();
  });

  it('a failing hook does not fail the verification that already committed', async () => {
    hook.mockRejectedValueOnce(new Error('binding failed'));
    const { user } = await signUpAndVerify(t());
    expect(user.emailVerified).toBe(true);
    const row = await t().ctx.db.selectFrom('users').select('id').where('id', '=', user.id).executeTakeFirst();
    expect(row?.id).toBe(user.id);
  });
});
