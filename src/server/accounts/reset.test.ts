import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { nowIso } from '../db/util.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../testing/factories.js';
import { hashPassword } from './passwords.js';
import { doRevokeUserSessions } from './sessions.js';
import { insertUser, updateUserPassword } from './store.js';
import { doIssueEmailToken, hashSecret } from './tokens.js';
import { mailsSoFar, refusal, tokenFromMail } from './test-helpers.js';

const NEW_PASSWORD = 'a brand new password';

describeEachDb('accounts: password reset', (t) => {
  it('resets by the emailed link: old password dead, every session ended, link single-use', async () => {
    const u = await makeUser(t());
    const other = await t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } });
    expect(await t().anon().call(api.auth.passwordReset, { body: { email: u.email.toUpperCase() } })).toEqual({ ok: true });

    const { token, link, text } = await tokenFromMail(t(), u.email, /reset/i);
    expect(link.startsWith(`${t().ctx.config.publicUrl}/reset-password?token=`)).toBe(true);
    expect(text.split(/\r?\n/)).toContain(link);
    const stored = await t().ctx.db.selectFrom('email_tokens').selectAll().where('token_hash', '=', hashSecret(token)).executeTakeFirstOrThrow();
    expect([stored.kind, Date.parse(stored.expires_at) - Date.parse(stored.created_at)]).toEqual(['reset', 3600_000]);

    expect(await t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: NEW_PASSWORD } })).toEqual({ ok: true });

    expect((await refusal(t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } }))).code).toBe('invalid_credentials');
    await t().anon().call(api.auth.login, { body: { email: u.email, password: NEW_PASSWORD } });
    expect((await refusal(u.api.call(api.auth.me))).code).toBe('unauthenticated');
    expect((await refusal(t().client(other.token).call(api.auth.me))).code).toBe('unauthenticated');

    const again = await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: 'yet another password' } }));
    expect([again.status, again.code]).toEqual([400, 'invalid_token']);
    const audit = await t().ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', u.org.id).where('action', '=', 'user.password_reset').execute();
    expect(audit.map((a) => a.target_id)).toEqual([u.user.id]);
  });

  it('a sign-in whose password check straddles a reset opens no session that outlives the reset', async () => {
    // The check takes tens of milliseconds; the reset lands at different moments of it.
    for (const delayMs of [10, 20, 30, 40]) {
      const u = await makeUser(t());
      const newHash = await hashPassword(NEW_PASSWORD);
      const login = t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } }).then(
        (r) => ({ ok: true as const, token: r.token }),
        (e: unknown) => ({ ok: false as const, error: e }),
      );
      await new Promise((r) => setTimeout(r, delayMs));
      await t().ctx.db.transaction().execute(async (trx) => {
        await updateUserPassword(trx, u.user.id, newHash);
        await doRevokeUserSessions(trx, u.user.id);
      });
      const answer = await login;
      if (answer.ok) {
        await expect(t().client(answer.token).call(api.auth.me)).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
      } else {
        expect(answer.error).toMatchObject({ status: 401, code: 'invalid_credentials' });
      }
    }
  });

  it('answers {ok:true} for unknown, pending and deactivated emails without mailing anything', async () => {
    const deactivated = await makeUser(t());
    await t().ctx.db.updateTable('users').set({ status: 'deactivated', deactivated_at: nowIso() }).where('id', '=', deactivated.user.id).execute();
    const unknown = `nobody-${uniq()}@nowhere.example`;
    const pending = `pending-${uniq()}@mail-${uniq()}.example`;
    await t().anon().call(api.auth.signup, { body: { email: pending, password: TEST_PASSWORD, displayName: 'Pending' } });
    for (const email of [unknown, pending, deactivated.email]) {
      expect(await t().anon().call(api.auth.passwordReset, { body: { email } })).toEqual({ ok: true });
    }
    // A mail sent afterwards arrives; none of the three got a reset mail before it.
    const marker = await makeUser(t());
    await t().anon().call(api.auth.passwordReset, { body: { email: marker.email } });
    await t().smtp.waitFor(marker.email, (m) => /reset/i.test(m.subject));
    await t().ctx.mailer.flush();
    const resetMails = t().smtp.mails.filter((m) => /reset/i.test(m.subject) && m.to.some((to) => [unknown, pending, deactivated.email].includes(to)));
    expect(resetMails).toHaveLength(0);
    expect(await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', 'in', [unknown, pending, deactivated.email]).where('kind', '=', 'reset').execute()).toHaveLength(0);
  });

  it('mails at most 3 reset links per email per hour, silently', async () => {
    const u = await makeUser(t());
    for (let i = 0; i < 5; i++) expect(await t().anon().call(api.auth.passwordReset, { body: { email: u.email } })).toEqual({ ok: true });
    await t().ctx.mailer.flush();
    const outbox = await t().ctx.db.selectFrom('mail_outbox').select('id').where('to_addr', '=', u.email).where('kind', '=', 'reset').execute();
    expect(outbox).toHaveLength(3);
    expect(t().smtp.mails.filter((m) => m.to.includes(u.email))).toHaveLength(3);
  });

  it('a new reset ends older reset links', async () => {
    const u = await makeUser(t());
    await t().anon().call(api.auth.passwordReset, { body: { email: u.email } });
    const first = await tokenFromMail(t(), u.email, /reset/i);
    const seen = mailsSoFar(t());
    await t().anon().call(api.auth.passwordReset, { body: { email: u.email } });
    const second = await tokenFromMail(t(), u.email, /reset/i, seen);
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token: second.token, password: NEW_PASSWORD } });
    expect((await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token: first.token, password: 'other password 1' } }))).code).toBe('invalid_token');
  });

  it('refuses expired and unknown tokens, and verify tokens, with invalid_token', async () => {
    const u = await makeUser(t());
    const expired = await doIssueEmailToken(t().ctx.db, { kind: 'reset', userId: u.user.id, emailNorm: u.email, ttlMs: -1000 });
    const e1 = await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token: expired, password: NEW_PASSWORD } }));
    expect([e1.status, e1.code]).toEqual([400, 'invalid_token']);
    const e2 = await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token: 'x'.repeat(43), password: NEW_PASSWORD } }));
    expect([e2.status, e2.code]).toEqual([400, 'invalid_token']);
    const verifyKind = await doIssueEmailToken(t().ctx.db, { kind: 'verify', userId: u.user.id, emailNorm: u.email, ttlMs: 60_000 });
    const e3 = await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token: verifyKind, password: NEW_PASSWORD } }));
    expect([e3.status, e3.code]).toEqual([400, 'invalid_token']);
    // The password is unchanged.
    await t().anon().call(api.auth.login, { body: { email: u.email, password: TEST_PASSWORD } });
  });

  it('a link sent to a deleted user is dead, even when the email has a new user', async () => {
    const org = await makeOrg(t().ctx);
    const old = await makeUser(t(), { org });
    const token = await doIssueEmailToken(t().ctx.db, { kind: 'reset', userId: old.user.id, emailNorm: old.email, ttlMs: 60_000 });
    await t().ctx.db.updateTable('users').set({ status: 'deleted', deleted_at: nowIso() }).where('id', '=', old.user.id).execute();
    await makeUser(t(), { org, email: old.email });
    const err = await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: NEW_PASSWORD } }));
    expect([err.status, err.code]).toEqual([400, 'invalid_token']);
  });

  it('an invite token sets the first password of an admin-created user and verifies the email', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const email = `invited-${uniq()}@${org.domain}`;
    const row = await insertUser(t().ctx.db, { orgId: org.id, email, emailNorm: email, displayName: 'Invited', passwordHash: null, role: 'member', verified: false });
    const token = await doIssueEmailToken(t().ctx.db, { kind: 'invite', userId: row.id, emailNorm: email, ttlMs: 7 * 24 * 3600_000 });
    await t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: NEW_PASSWORD } });
    const login = await t().anon().call(api.auth.login, { body: { email, password: NEW_PASSWORD } });
    expect(login.user).toMatchObject({ id: row.id, orgId: org.id, emailVerified: true });
    expect((await refusal(t().anon().call(api.auth.passwordResetConfirm, { body: { token, password: NEW_PASSWORD } }))).code).toBe('invalid_token');
  });
});
