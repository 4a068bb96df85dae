import type { AppContext } from '../context.js';
import { doAudit } from '../audit/service.js';
import { AppError } from '../http/errors.js';
import { passwordResetMail } from '../mail/templates.js';
import { hashPassword } from './passwords.js';
import { doRevokeUserSessions } from './sessions.js';
import { invalidToken, runAfterVerified } from './signup-service.js';
import { findLiveUserByEmail, getUserWithOrg, updateUserPassword } from './store.js';
import { doConsumeToken, doIssueEmailToken, doIssueWithinLimit, doRetireUserTokens, findUsableToken, normalizeEmail, RESET_TTL_MS } from './tokens.js';

/** Reset mails per email address per hour; past it, requests are silently ignored. */
export const MAX_RESET_MAILS_PER_HOUR = 3;

/**
 * Mails a reset link to an active user. The caller always answers the same thing, whether or
 * not a mail went out, so the endpoint never says which emails have accounts.
 */
export async function doRequestPasswordReset(ctx: AppContext, email: string): Promise<void> {
  const emailNorm = normalizeEmail(email);
  const user = await findLiveUserByEmail(ctx.db, emailNorm);
  if (!user || user.status !== 'active') return;
  const token = await doIssueWithinLimit(ctx, { kind: 'reset', emailNorm, max: MAX_RESET_MAILS_PER_HOUR, windowMs: 3600_000 }, (trx) =>
    doIssueEmailToken(trx, { kind: 'reset', userId: user.id, emailNorm, ttlMs: RESET_TTL_MS }),
  );
  if (token === null) return;
  const link = `${ctx.config.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
  await ctx.mailer.send(passwordResetMail({ to: user.email, displayName: user.display_name, link }));
}

/**
 * Sets a password with a `reset` or `invite` token: verifies the email if it was not, ends
 * every session of the user, and uses up the token (and any other outstanding reset link).
 */
export async function doConfirmPasswordReset(ctx: AppContext, input: { token: string; password: string }, meta: { ip?: string | null } = {}): Promise<void> {
  const candidate = await findUsableToken(ctx.db, input.token, ['reset', 'invite']);
  if (!candidate) throw invalidToken();
  const passwordHash = await hashPassword(input.password);

  const { userId, becameVerified } = await ctx.db.transaction().execute(async (trx) => {
    // Looked up again inside the transaction: the token may have been used while hashing.
    const token = await findUsableToken(trx, input.token, ['reset', 'invite']);
    if (!token || !token.user_id || !(await doConsumeToken(trx, token.id))) throw invalidToken();
    const user = await getUserWithOrg(trx, token.user_id);
    // A link sent to an address the account no longer has (deleted, re-created) is dead.
    if (!user || user.status === 'deleted' || user.email_norm !== token.email_norm) throw invalidToken();
    if (user.status !== 'active') throw new AppError(403, 'account_inactive', 'This account is deactivated; ask your organization’s administrator');
    const r = await updateUserPassword(trx, user.id, passwordHash);
    await doRetireUserTokens(trx, user.id, ['reset', 'invite']);
    await doRevokeUserSessions(trx, user.id);
    await doAudit(trx, { orgId: user.org_id, actorId: user.id, action: 'user.password_reset', targetType: 'user', targetId: user.id, data: { via: token.kind }, ip: meta.ip ?? null });
    return { userId: user.id, becameVerified: r.becameVerified };
  });

  // ---- after commit ----
  // Every session ended: the WebSockets of the old password close now (Gateway.endSessions).
  ctx.events.publish([userId], { type: 'session.ended' });
  if (becameVerified) await runAfterVerified(ctx, userId);
}
