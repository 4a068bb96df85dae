import type { AppContext } from '../context.js';
import { doAudit } from '../audit/service.js';
import { AppError } from '../http/errors.js';
import { verifyPassword } from './passwords.js';
import { doCreateSession, doRevokeSession } from './sessions.js';
import { findLatestSignup, findLiveUserByEmail, lockUnchangedCredentials, type UserWithOrg } from './store.js';
import { doBeginLoginAttempt, doForgiveLoginAttempt, doRecordLoginFailure } from './throttle.js';
import { normalizeEmail } from './tokens.js';

export const invalidCredentials = () => new AppError(401, 'invalid_credentials', 'Wrong email address or password');

export interface LoginMeta {
  ip: string;
  userAgent?: string | null;
}

/**
 * Checks a password and opens a session. Unknown emails, wrong passwords and accounts without
 * a password all answer the same 401 after the same amount of hashing work, so the answer does
 * not tell which emails have accounts. Throttling comes first: during a lockout even the right
 * password is refused, and an attempt let in counts as a failure until its password is checked.
 */
export async function doLogin(ctx: AppContext, input: { email: string; password: string }, meta: LoginMeta): Promise<{ token: string; user: UserWithOrg }> {
  const emailNorm = normalizeEmail(input.email);
  const attempt = await doBeginLoginAttempt(ctx, emailNorm, meta.ip);

  const user = await findLiveUserByEmail(ctx.db, emailNorm);
  if (!user) {
    const signup = await findLatestSignup(ctx.db, emailNorm);
    if (await verifyPassword(signup?.password_hash ?? null, input.password)) {
      await doForgiveLoginAttempt(ctx.db, attempt);
      throw new AppError(403, 'email_not_verified', 'Confirm your email address first: open the link in the mail we sent you');
    }
    await doRecordLoginFailure(ctx.db, attempt);
    throw invalidCredentials();
  }

  if (!(await verifyPassword(user.password_hash, input.password))) {
    await ctx.db.transaction().execute(async (trx) => {
      await doRecordLoginFailure(trx, attempt);
      await doAudit(trx, { orgId: user.org_id, actorId: null, action: 'user.login_failed', targetType: 'user', targetId: user.id, ip: meta.ip });
    });
    throw invalidCredentials();
  }
  // Only after the right password, so that an account's status is not revealed to guessers.
  if (user.status !== 'active') {
    await doForgiveLoginAttempt(ctx.db, attempt);
    throw new AppError(403, 'account_inactive', 'This account is deactivated; ask your organization’s administrator');
  }

  const passwordHash = user.password_hash!;
  const opened = await ctx.db.transaction().execute(async (trx) => {
    // The check above took tens of milliseconds: a password reset (which ends every session) or a
    // deactivation may have committed since. A session opened now would outlive it.
    if (!(await lockUnchangedCredentials(trx, user.id, passwordHash))) return null;
    await doForgiveLoginAttempt(trx, attempt, { withEarlierFailures: true });
    const session = await doCreateSession(trx, user.id, { ip: meta.ip, userAgent: meta.userAgent ?? null });
    await doAudit(trx, { orgId: user.org_id, actorId: user.id, action: 'user.login', targetType: 'user', targetId: user.id, ip: meta.ip });
    return session;
  });
  if (!opened) {
    await doRecordLoginFailure(ctx.db, attempt);
    throw invalidCredentials();
  }
  const { token } = opened;
  return { token, user };
}

export async function doLogout(ctx: AppContext, sessionId: string): Promise<void> {
  await doRevokeSession(ctx.db, sessionId);
}
