import { sql } from 'kysely';
import type { UserStatus } from '../../shared/api/shapes.js';
import { forgetUserSessions } from '../accounts/sessions.js';
import type { UserWithOrg } from '../accounts/store.js';
import type { Executor } from '../context.js';
import { nowIso } from '../db/util.js';
import { lowerSql } from '../db/fold.js';

/**
 * Queries and writes of an org's membership: listing users, and the life cycle changes of
 * design.md rules 5–7 (status, role, tombstone). The accounts domain owns creating users and
 * their credentials; the org's admins (and the operator) own who is active in the org.
 */

export type StatusFilter = UserStatus | 'all';

function withOrg(db: Executor) {
  return db.selectFrom('users').innerJoin('orgs', 'orgs.id', 'users.org_id').selectAll('users').select('orgs.name as org_name');
}

/** `%` and `_` typed by a person are literal characters, not wildcards. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A user with the name key the list is sorted by, as the database computed it. */
export type ListedUser = UserWithOrg & { sort_name: string };

/**
 * Sorted by lower-cased name then id, so that paging is stable and equal on both databases.
 * The name is lower-cased by the database (`lowerSql`), for the filter, the order and the
 * cursor alike: a cursor made from the key the query selected compares exactly as the ORDER BY
 * does, where a key lower-cased in JavaScript differs from the database's for some letters
 * (SQLite's lower() folds A–Z only; PostgreSQL's keeps Σ a sigma where JavaScript may make it ς)
 * and made pages skip or repeat people.
 */
export async function listOrgUsers(
  db: Executor,
  orgId: string,
  opts: { status?: StatusFilter; q?: string; after?: { n: string; i: string } | null; limit: number },
): Promise<ListedUser[]> {
  const nameKey = lowerSql(db, sql.ref('users.display_name'));
  let q = withOrg(db).select(nameKey.as('sort_name')).where('users.org_id', '=', orgId);
  const status = opts.status;
  if (status === undefined) q = q.where('users.status', '<>', 'deleted');
  else if (status !== 'all') q = q.where('users.status', '=', status);
  if (opts.q) {
    const typed = escapeLike(opts.q);
    const email = `${escapeLike(opts.q.toLowerCase())}%`;
    q = q.where((eb) =>
      eb.or([
        eb(nameKey, 'like', sql<string>`${lowerSql(db, `${typed}%`)} escape '\\'`),
        eb(nameKey, 'like', sql<string>`${lowerSql(db, `% ${typed}%`)} escape '\\'`),
        // email_norm was lower-cased in JavaScript when written, and so is what was typed.
        eb('users.email_norm', 'like', sql<string>`${email} escape '\\'`),
      ]),
    );
  }
  const after = opts.after;
  if (after) q = q.where((eb) => eb.or([eb(nameKey, '>', after.n), eb.and([eb(nameKey, '=', after.n), eb('users.id', '>', after.i)])]));
  return q.orderBy(nameKey).orderBy('users.id').limit(opts.limit).execute();
}

export function userSortKey(u: ListedUser): { n: string; i: string } {
  return { n: u.sort_name, i: u.id };
}

/** A user of this org (any status), or undefined: a user of another org is not found. */
export async function getOrgUser(db: Executor, orgId: string, userId: string): Promise<UserWithOrg | undefined> {
  return withOrg(db).where('users.id', '=', userId).where('users.org_id', '=', orgId).executeTakeFirst();
}

export async function countActiveAdmins(db: Executor, orgId: string): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('role', '=', 'admin')
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Takes the org's row lock for the rest of the transaction (PostgreSQL), so that two admins
 * removing each other at the same moment cannot both pass the last-admin check. SQLite runs one
 * write transaction at a time, where this is a harmless no-op write.
 */
export async function lockOrg(db: Executor, orgId: string): Promise<void> {
  await db
    .updateTable('orgs')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', orgId)
    .execute();
}

export async function setUserStatus(db: Executor, userId: string, status: 'active' | 'deactivated'): Promise<void> {
  await db
    .updateTable('users')
    .set({ status, deactivated_at: status === 'deactivated' ? nowIso() : null })
    .where('id', '=', userId)
    .execute();
  forgetUserSessions(userId);
}

export async function setUserRole(db: Executor, userId: string, role: 'admin' | 'member'): Promise<void> {
  await db.updateTable('users').set({ role }).where('id', '=', userId).execute();
  forgetUserSessions(userId);
}

/**
 * The tombstone of rule 5: the row stays (name and email for history), the credentials go, and
 * the status leaves the partial unique index on email_norm, so the email is free again.
 */
export async function tombstoneUser(db: Executor, userId: string): Promise<void> {
  await db.updateTable('users').set({ status: 'deleted', deleted_at: nowIso(), password_hash: null }).where('id', '=', userId).execute();
  forgetUserSessions(userId);
}

/** How many users (not deleted) each org has. */
export async function countLiveUsersByOrg(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('users')
    .select(['org_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '<>', 'deleted')
    .groupBy('org_id')
    .execute();
  return new Map(rows.map((r) => [r.org_id, Number(r.n)]));
}
