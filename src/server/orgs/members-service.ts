import type { Role, User } from '../../shared/api/shapes.js';
import type { AuthInfo } from '../accounts/sessions.js';
import { doRevokeUserSessions } from '../accounts/sessions.js';
import { findLiveUserByEmail, getUserWithOrg, insertUser, presentUser, type UserWithOrg } from '../accounts/store.js';
import { countTokensSince, doIssueEmailToken, doRetireUserTokens, normalizeEmail } from '../accounts/tokens.js';
import { doAuditBy, type Actor } from '../audit/service.js';
import { forgetSendTargetsOf } from '../conversations/send-targets.js';
import type { AppContext, Executor } from '../context.js';
import { inKeyLock } from '../db/key-lock.js';
import { isUniqueViolation, nowIso } from '../db/util.js';
import { AppError, conflict, forbidden, notFound, rateLimited } from '../http/errors.js';
import { accountInviteMail } from '../mail/templates.js';
import { decodeCursor, pageOf } from '../http/cursor.js';
import { countActiveAdmins, getOrgUser, listOrgUsers, lockOrg, setUserRole, setUserStatus, tombstoneUser, userSortKey, type StatusFilter } from './members-store.js';
import { findOrgByDomain, getOrgRow } from './store.js';

/**
 * The user life cycle of design.md rules 5–7, shared by the org admin API and the operator CLI:
 * create (by invitation), deactivate, reactivate, delete (tombstone) and role changes. Each
 * writes its audit entry in the same transaction as the change.
 */

/** An invitation link stays usable for a week; after that, "Forgot password" still works. */
export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
/** Accounts made for one address (each mails an invitation) per hour. */
export const MAX_INVITES_PER_ADDRESS = 3;
const INVITE_WINDOW_MS = 3600_000;

/** Members may read their own org; any other org is simply not found (no leak of its data). */
export function checkOrgMember(auth: AuthInfo, orgId: string): void {
  if (auth.user.org_id !== orgId) throw notFound('Organization');
}

/** Admins of that org only: another org is not found, a member of it is forbidden. */
export function checkOrgAdmin(auth: AuthInfo, orgId: string): void {
  checkOrgMember(auth, orgId);
  if (auth.user.role !== 'admin') throw forbidden('Only administrators of this organization can do that');
}

export function actorOf(auth: AuthInfo, ip: string): Actor {
  return { kind: 'user', userId: auth.user.id, ip };
}

export async function listUsersOfOrg(
  ctx: AppContext,
  orgId: string,
  query: { status?: StatusFilter; q?: string; cursor?: string; limit: number },
): Promise<{ items: User[]; next?: string }> {
  const after = decodeCursor(query.cursor, ['n', 'i'] as const);
  const rows = await listOrgUsers(ctx.db, orgId, { status: query.status, q: query.q || undefined, after, limit: query.limit + 1 });
  const page = pageOf(rows, query.limit, userSortKey);
  return { items: page.items.map(presentUser), ...(page.next ? { next: page.next } : {}) };
}

/** The user of this org the action is about; a user of another org is not found. */
export async function checkOrgUser(ctx: AppContext, orgId: string, userId: string): Promise<UserWithOrg> {
  const user = await getOrgUser(ctx.db, orgId, userId);
  if (!user) throw notFound('User');
  return user;
}

const lastAdmin = () => conflict('last_admin', 'This is the last active administrator of the organization: make someone else an administrator first');
const userDeleted = () => conflict('user_deleted', 'This user was deleted');

export interface LifecycleOptions {
  /** The operator may remove the last admin of an org (e.g. the one person of a basic org). */
  allowLastAdmin?: boolean;
}

/**
 * Runs one life cycle change in a transaction: locks the org, reloads the user (another org's
 * user is not found), applies `change`, and answers the user as it is after commit.
 */
async function changeUser(
  ctx: AppContext,
  target: { orgId: string; userId: string },
  change: (trx: Executor, user: UserWithOrg) => Promise<void>,
): Promise<User> {
  await ctx.db.transaction().execute(async (trx) => {
    await lockOrg(trx, target.orgId);
    const user = await getOrgUser(trx, target.orgId, target.userId);
    if (!user) throw notFound('User');
    await change(trx, user);
  });
  forgetSendTargetsOf(ctx, [target.userId]);
  const after = await getUserWithOrg(ctx.db, target.userId);
  if (!after) throw notFound('User');
  // Their sessions were revoked in the transaction: open WebSockets (on every node) close now,
  // not at the next heartbeat round, so nothing more reaches a deactivated or deleted user.
  if (after.status !== 'active') ctx.events.publish([after.id], { type: 'session.ended' });
  return presentUser(after);
}

/** True when taking `user` out of the active admins would leave the org with none. */
async function isLastActiveAdmin(trx: Executor, user: UserWithOrg): Promise<boolean> {
  if (user.role !== 'admin' || user.status !== 'active') return false;
  return (await countActiveAdmins(trx, user.org_id)) <= 1;
}

const auditTarget = (user: UserWithOrg) => ({ orgId: user.org_id, targetType: 'user', targetId: user.id });

/** Rule 7: cannot sign in (every session ends now) nor be messaged, until reactivated. */
export function doDeactivateUser(ctx: AppContext, target: { orgId: string; userId: string }, actor: Actor, opts: LifecycleOptions = {}): Promise<User> {
  return changeUser(ctx, target, async (trx, user) => {
    if (user.status === 'deleted') throw userDeleted();
    if (user.status === 'deactivated') return;
    if (!opts.allowLastAdmin && (await isLastActiveAdmin(trx, user))) throw lastAdmin();
    await setUserStatus(trx, user.id, 'deactivated');
    await doRevokeUserSessions(trx, user.id);
    // A reset or invitation link sent before must not work after a reactivation either: whoever
    // holds it now may not be whom it was sent to then.
    await doRetireUserTokens(trx, user.id, ['reset', 'invite']);
    await doAuditBy(trx, actor, { ...auditTarget(user), action: 'user.deactivated', data: { email: user.email } });
  });
}

export function doReactivateUser(ctx: AppContext, target: { orgId: string; userId: string }, actor: Actor): Promise<User> {
  return changeUser(ctx, target, async (trx, user) => {
    if (user.status === 'deleted') throw userDeleted();
    if (user.status === 'active') return;
    await setUserStatus(trx, user.id, 'active');
    await doAuditBy(trx, actor, { ...auditTarget(user), action: 'user.reactivated', data: { email: user.email } });
  });
}

/**
 * Rule 5: a tombstone. Sessions and emailed links end, the password goes, the email is released
 * (a new user may take it: rule 6 makes that a new row), the name stays for history.
 */
export function doDeleteUser(ctx: AppContext, target: { orgId: string; userId: string }, actor: Actor, opts: LifecycleOptions = {}): Promise<User> {
  return changeUser(ctx, target, async (trx, user) => {
    if (user.status === 'deleted') return;
    if (!opts.allowLastAdmin && (await isLastActiveAdmin(trx, user))) throw lastAdmin();
    await tombstoneUser(trx, user.id);
    await doRevokeUserSessions(trx, user.id);
    await doRetireUserTokens(trx, user.id, ['verify', 'reset', 'invite']);
    await doAuditBy(trx, actor, { ...auditTarget(user), action: 'user.deleted', data: { email: user.email } });
  });
}

export function doSetUserRole(ctx: AppContext, target: { orgId: string; userId: string }, role: Role, actor: Actor): Promise<User> {
  return changeUser(ctx, target, async (trx, user) => {
    if (user.status === 'deleted') throw userDeleted();
    if (user.role === role) return;
    if (role !== 'admin' && (await isLastActiveAdmin(trx, user))) throw lastAdmin();
    await setUserRole(trx, user.id, role);
    await doAuditBy(trx, actor, { ...auditTarget(user), action: 'user.role_changed', data: { email: user.email, from: user.role, to: role } });
  });
}

/**
 * Creates an active user with no password in the org and emails them a link to choose one
 * (an `invite` token, used like a reset token). The mail goes out after commit.
 */
export async function doCreateOrgUser(
  ctx: AppContext,
  orgId: string,
  input: { email: string; displayName: string; role?: Role },
  actor: Actor,
): Promise<User> {
  const org = await getOrgRow(ctx.db, orgId);
  if (!org) throw notFound('Organization');
  // Anyone gets a basic org by signing up. Were its admin able to add people, anyone could take
  // an address nobody has claimed yet (its owner then locked out of signing up) and have the
  // server mail it an invitation.
  if (org.plan === 'basic') {
    throw new AppError(403, 'personal_org', 'A personal organization is one person’s own: nobody can be added to it. To talk to someone, start a chat with their email address.');
  }
  const email = input.email.trim();
  const emailNorm = normalizeEmail(email);
  const role = input.role ?? 'member';
  const emailTaken = () => conflict('email_taken', 'Someone already has a Parley account with this email address');
  const domain = emailNorm.slice(emailNorm.lastIndexOf('@') + 1);
  let created: { id: string; token: string };
  try {
    // Counted with the invitations it mails, locked on the address like every other mail limit.
    created = await inKeyLock(ctx, [`mail:invite:${emailNorm}`], async (trx) => {
      if (await findLiveUserByEmail(trx, emailNorm)) throw emailTaken();
      // Creating, deleting and re-creating an account must not make the server mail someone
      // without end.
      if ((await countTokensSince(trx, emailNorm, 'invite', nowIso(Date.now() - INVITE_WINDOW_MS))) >= MAX_INVITES_PER_ADDRESS) {
        throw rateLimited(INVITE_WINDOW_MS / 1000, `This address was sent ${MAX_INVITES_PER_ADDRESS} invitations in the last hour; try again later`);
      }
      // An address on a domain another org has verified is that org's: whoever owns it joins that
      // org by signing up. Created here, it would lock its owner out and catch the chats sent to it.
      const domainOrg = await findOrgByDomain(trx, domain);
      if (domainOrg && domainOrg.id !== orgId) {
        throw conflict('email_domain_claimed', `Addresses at ${domain} belong to another organization on this server; their owners join it by signing up`);
      }
      const row = await insertUser(trx, { orgId, email, emailNorm, displayName: input.displayName, passwordHash: null, role, verified: false });
      const token = await doIssueEmailToken(trx, { kind: 'invite', userId: row.id, emailNorm, ttlMs: INVITE_TTL_MS });
      await doAuditBy(trx, actor, { orgId, action: 'user.created', targetType: 'user', targetId: row.id, data: { email, role } });
      return { id: row.id, token };
    });
  } catch (err) {
    // Two creations of one email at once: the partial unique index lets only one through.
    if (!(err instanceof AppError) && isUniqueViolation(err)) throw emailTaken();
    throw err;
  }
  const invitedBy = actor.kind === 'user' ? ((await getUserWithOrg(ctx.db, actor.userId))?.display_name ?? null) : null;
  const link = `${ctx.config.publicUrl}/reset-password?token=${encodeURIComponent(created.token)}&invite=1`;
  try {
    await ctx.mailer.send(accountInviteMail({ to: email, displayName: input.displayName, orgName: org.name, invitedBy, link }));
  } catch (err) {
    // The account exists either way; "Forgot password" sends a new link.
    ctx.log.warn({ err, userId: created.id }, 'could not record the invitation mail');
  }
  const user = await getUserWithOrg(ctx.db, created.id);
  if (!user) throw notFound('User');
  return presentUser(user);
}
