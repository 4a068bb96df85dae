import type { AppContext } from '../context.js';
import { isUniqueViolation, nowIso } from '../db/util.js';
import { doAudit } from '../audit/service.js';
import { AppError, conflict } from '../http/errors.js';
import { verifyEmailMail } from '../mail/templates.js';
import { emailDomain, findOrgByDomain, insertOrg } from '../orgs/store.js';
import { afterUserVerified } from './after-verify.js';
import { hashPassword } from './passwords.js';
import { CONTESTED_SIGNUP, deleteSignups, findLiveUserByEmail, getSignup, getUserWithOrg, insertSignup, insertUser, purgeSignups, takePendingAdmin, type UserWithOrg } from './store.js';
import { countTokensSince, doConsumeToken, doIssueEmailToken, doIssueWithinLimit, findUsableToken, normalizeEmail, RESET_TTL_MS, VERIFY_TTL_MS } from './tokens.js';

/** How long the password link answered to a contested sign-up's verification lasts. */
const SET_PASSWORD_TTL_MS = RESET_TTL_MS;

/** Verification mails per email address per hour; past it, sign-up stops mailing (a victim's inbox is not a target). */
export const MAX_VERIFY_MAILS_PER_HOUR = 5;
const MAIL_WINDOW_MS = 3600_000;

export const invalidToken = () => new AppError(400, 'invalid_token', 'This link is invalid, expired or already used; ask for a new one');

export function emailTakenError(hasPassword: boolean): AppError {
  return conflict(
    'email_taken',
    hasPassword
      ? 'An account with this email address already exists; sign in instead, or reset your password'
      : 'An administrator already created an account for this email address; use "Forgot password" to choose your password',
  );
}

/**
 * Records a sign-up (replacing an earlier unverified one for the same email) and mails the
 * verification link. No user exists until the link is opened.
 */
export async function doSignup(ctx: AppContext, input: { email: string; password: string; displayName: string }): Promise<{ verificationSent: boolean }> {
  const emailNorm = normalizeEmail(input.email);
  const existing = await findLiveUserByEmail(ctx.db, emailNorm);
  if (existing) throw emailTakenError(existing.password_hash !== null);

  // Past the limit already: answer without spending a password hash. Only the count in the
  // transaction below decides, since parallel sign-ups all pass this one.
  const since = nowIso(Date.now() - MAIL_WINDOW_MS);
  if ((await countTokensSince(ctx.db, emailNorm, 'verify', since)) >= MAX_VERIFY_MAILS_PER_HOUR) return { verificationSent: false };

  // Hashing is slow on purpose: do it before the transaction so it holds no lock meanwhile.
  const passwordHash = await hashPassword(input.password);
  const token = await doIssueWithinLimit(ctx, { kind: 'verify', emailNorm, max: MAX_VERIFY_MAILS_PER_HOUR, windowMs: MAIL_WINDOW_MS }, async (trx) => {
    const replaced = await deleteSignups(trx, emailNorm);
    const signup = await insertSignup(trx, { email: input.email, emailNorm, displayName: input.displayName, passwordHash: replaced > 0 ? CONTESTED_SIGNUP : passwordHash });
    return doIssueEmailToken(trx, { kind: 'verify', signupId: signup.id, emailNorm, ttlMs: VERIFY_TTL_MS });
  });
  if (token === null) return { verificationSent: false };
  const link = `${ctx.config.publicUrl}/verify?token=${encodeURIComponent(token)}`;
  await ctx.mailer.send(verifyEmailMail({ to: input.email.trim(), displayName: input.displayName, link }));
  return { verificationSent: true };
}

/**
 * Turns a verified sign-up into a user: in the org owning the email's verified domain when that
 * org admits self sign-up (as its admin when an operator named this email), else in a new
 * `basic` org of their own, as its admin.
 */
export async function doVerifySignup(ctx: AppContext, secret: string, meta: { ip?: string | null } = {}): Promise<{ user: UserWithOrg; setPasswordToken?: string }> {
  let userId: string;
  let setPasswordToken: string | undefined;
  try {
    userId = await ctx.db.transaction().execute(async (trx) => {
      const token = await findUsableToken(trx, secret, ['verify']);
      if (!token || !token.signup_id) throw invalidToken();
      const signup = await getSignup(trx, token.signup_id);
      if (!signup || !(await doConsumeToken(trx, token.id))) throw invalidToken();

      const taken = await findLiveUserByEmail(trx, signup.email_norm);
      if (taken) throw emailTakenError(taken.password_hash !== null);

      const domainOrg = await findOrgByDomain(trx, emailDomain(signup.email_norm));
      let orgId: string;
      let role: 'admin' | 'member';
      let newOrg = false;
      if (domainOrg && domainOrg.self_signup === 1) {
        orgId = domainOrg.id;
        role = (await takePendingAdmin(trx, domainOrg.id, signup.email_norm)) ? 'admin' : 'member';
      } else {
        orgId = (await insertOrg(trx, { name: signup.display_name, plan: 'basic' })).id;
        role = 'admin';
        newOrg = true;
      }
      const user = await insertUser(trx, {
        orgId,
        email: signup.email,
        emailNorm: signup.email_norm,
        displayName: signup.display_name,
        passwordHash: signup.password_hash === CONTESTED_SIGNUP ? null : signup.password_hash,
        role,
        verified: true,
      });
      // The one who opened the link proved the mailbox is theirs: they choose the password now.
      if (signup.password_hash === CONTESTED_SIGNUP) {
        setPasswordToken = await doIssueEmailToken(trx, { kind: 'invite', userId: user.id, emailNorm: signup.email_norm, ttlMs: SET_PASSWORD_TTL_MS });
      }
      await purgeSignups(trx, signup.email_norm);
      await doAudit(trx, { orgId, actorId: user.id, action: 'user.joined', targetType: 'user', targetId: user.id, data: { via: 'signup', role, newOrg }, ip: meta.ip ?? null });
      return user.id;
    });
  } catch (err) {
    // Two verifications of one email racing: the unique index on live emails lets one win.
    if (isUniqueViolation(err)) throw emailTakenError(true);
    throw err;
  }

  // ---- after commit ----
  // Pending chats bound to this email become live (the conversations domain hooks in here).
  await runAfterVerified(ctx, userId);
  return { user: (await getUserWithOrg(ctx.db, userId))!, ...(setPasswordToken ? { setPasswordToken } : {}) };
}

/** The verification committed already; a failure of what follows is logged, not answered. */
export async function runAfterVerified(ctx: AppContext, userId: string): Promise<void> {
  try {
    await afterUserVerified(ctx, userId);
  } catch (err) {
    ctx.log.error({ err, userId }, 'binding pending chats after verification failed');
  }
}
