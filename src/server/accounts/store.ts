import type { User, UserStatus } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import type { SignupsTable, UsersTable } from '../db/schema.js';
import { newId, nowIso } from '../db/util.js';

export type UserRow = UsersTable;
export type UserWithOrg = UserRow & { org_name: string };

export async function insertUser(
  db: Executor,
  input: { orgId: string; email: string; emailNorm: string; displayName: string; passwordHash: string | null; role: 'admin' | 'member'; verified: boolean },
): Promise<UserRow> {
  const now = nowIso();
  const row: UserRow = {
    id: newId(),
    org_id: input.orgId,
    email: input.email.trim(),
    email_norm: input.emailNorm,
    display_name: input.displayName,
    password_hash: input.passwordHash,
    role: input.role,
    status: 'active',
    email_verified_at: input.verified ? now : null,
    created_at: now,
    deactivated_at: null,
    deleted_at: null,
  };
  await db.insertInto('users').values(row).execute();
  return row;
}

function withOrg(db: Executor) {
  return db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id').selectAll('users').select('orgs.name as org_name');
}

export async function getUserWithOrg(db: Executor, id: string): Promise<UserWithOrg | undefined> {
  return withOrg(db).where('users.id', '=', id).executeTakeFirst();
}

/** The user (not deleted) holding an email, if any. */
export async function findLiveUserByEmail(db: Executor, emailNorm: string): Promise<UserWithOrg | undefined> {
  return withOrg(db).where('users.email_norm', '=', emailNorm).where('users.status', '<>', 'deleted').executeTakeFirst();
}

export function presentUser(row: UserWithOrg): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    orgId: row.org_id,
    orgName: row.org_name,
    role: row.role as 'admin' | 'member',
    status: row.status as UserStatus,
    emailVerified: row.email_verified_at !== null,
    createdAt: row.created_at,
  };
}

/**
 * Holds the user's row until the transaction ends, if their password and status are still what
 * a sign-in checked (false: a reset, a deactivation or a deletion committed meanwhile). A change
 * of either waits for the sign-in to commit, and then ends the session it opened with the rest.
 */
export async function lockUnchangedCredentials(db: Executor, userId: string, passwordHash: string): Promise<boolean> {
  // A write of the same value: the one row lock both databases take the same way.
  const r = await db
    .updateTable('users')
    .set({ password_hash: passwordHash })
    .where('id', '=', userId)
    .where('password_hash', '=', passwordHash)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Sets a new password; marks the email verified too (the reset link proved ownership). */
export async function updateUserPassword(db: Executor, userId: string, passwordHash: string): Promise<{ becameVerified: boolean }> {
  const before = await db.selectFrom('users').select('email_verified_at').where('id', '=', userId).executeTakeFirstOrThrow();
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, email_verified_at: before.email_verified_at ?? nowIso() })
    .where('id', '=', userId)
    .execute();
  return { becameVerified: before.email_verified_at === null };
}

// ---- sign-ups waiting for verification ----

export type SignupRow = SignupsTable;

export async function insertSignup(db: Executor, input: { email: string; emailNorm: string; displayName: string; passwordHash: string }): Promise<SignupRow> {
  const row: SignupRow = {
    id: newId(),
    email: input.email.trim(),
    email_norm: input.emailNorm,
    display_name: input.displayName,
    password_hash: input.passwordHash,
    created_at: nowIso(),
  };
  await db.insertInto('signups').values(row).execute();
  return row;
}

export async function getSignup(db: Executor, id: string): Promise<SignupRow | undefined> {
  return db.selectFrom('signups').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest pending sign-up for an email. */
export async function findLatestSignup(db: Executor, emailNorm: string): Promise<SignupRow | undefined> {
  return db.selectFrom('signups').selectAll().where('email_norm', '=', emailNorm).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
}

/**
 * Removes the pending sign-ups of an email. Their verify tokens are retired (kept, marked used)
 * rather than deleted, so that the hourly mail limit still counts them.
 */
export async function deleteSignups(db: Executor, emailNorm: string): Promise<number> {
  await db.updateTable('email_tokens').set({ used_at: nowIso() }).where('email_norm', '=', emailNorm).where('kind', '=', 'verify').where('used_at', 'is', null).execute();
  const r = await db.deleteFrom('signups').where('email_norm', '=', emailNorm).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The password of a sign-up made while another for the same email was waiting: nobody's. Either
 * sign-up may have been someone else's, and the owner of the mailbox may open either link, so
 * the account is made without a password and whoever verifies chooses it then.
 */
export const CONTESTED_SIGNUP = '';

/** After verification, neither the sign-up nor any of its tokens has a use any more. */
export async function purgeSignups(db: Executor, emailNorm: string): Promise<void> {
  await db.deleteFrom('email_tokens').where('email_norm', '=', emailNorm).where('kind', '=', 'verify').execute();
  await db.deleteFrom('signups').where('email_norm', '=', emailNorm).execute();
}

/**
 * Consumes the "join as admin" mark an operator left for this email (`parley org create
 * --admin`): true when there was one. The orgs domain writes these rows; joining is where the
 * mark is used up, so sign-up verification removes it in the same transaction as the join.
 */
export async function takePendingAdmin(db: Executor, orgId: string, emailNorm: string): Promise<boolean> {
  const r = await db.deleteFrom('org_pending_admins').where('org_id', '=', orgId).where('email_norm', '=', emailNorm).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
