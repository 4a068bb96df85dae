import type { User, UserStatus } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import type { UsersTable } from '../db/schema.js';
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
