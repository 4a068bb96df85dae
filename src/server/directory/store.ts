import { sql } from 'kysely';
import type { AppContext, Executor } from '../context.js';
import { lowerSql } from '../db/fold.js';
import { inKeyLock } from '../db/key-lock.js';
import { nowIso } from '../db/util.js';

/** Kysely queries of the directory: people lookups and the per-user look-up counter. */

export interface PersonRow {
  id: string;
  org_id: string;
  org_name: string;
  email: string;
  email_norm: string;
  display_name: string;
  status: string;
}

/** `%` and `_` typed by a person are literal characters, not wildcards. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function people(db: Executor) {
  return db
    .selectFrom('users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.org_id', 'o.name as org_name', 'u.email', 'u.email_norm', 'u.display_name', 'u.status']);
}

/**
 * Active people of one org whose name (or any word of it) or email starts with `prefix`,
 * case-insensitively. Never used with another org's id: that is the directory's privacy rule.
 * The name and what was typed are lower-cased by the same database function (`lowerSql`), so
 * accented and non-Latin names match in any case, alike on SQLite and PostgreSQL; the email is
 * compared with `email_norm`, which was lower-cased in JavaScript when written.
 */
export async function searchOwnOrg(db: Executor, orgId: string, prefix: string, excludeUserId: string, limit: number): Promise<PersonRow[]> {
  const typed = escapeLike(prefix);
  const name = lowerSql(db, sql.ref('u.display_name'));
  return people(db)
    .where('u.org_id', '=', orgId)
    .where('u.status', '=', 'active')
    .where('u.id', '<>', excludeUserId)
    .where((eb) =>
      eb.or([
        eb(name, 'like', sql<string>`${lowerSql(db, `${typed}%`)} escape '\\'`),
        eb(name, 'like', sql<string>`${lowerSql(db, `% ${typed}%`)} escape '\\'`),
        eb('u.email_norm', 'like', sql<string>`${`${escapeLike(prefix.toLowerCase())}%`} escape '\\'`),
      ]),
    )
    .orderBy('u.display_name')
    .orderBy('u.id')
    .limit(limit)
    .execute();
}

/** The person (not deleted) holding exactly this normalized email, whatever their status. */
export async function findPersonByEmail(db: Executor, emailNorm: string): Promise<PersonRow | undefined> {
  return people(db).where('u.email_norm', '=', emailNorm).where('u.status', '<>', 'deleted').executeTakeFirst();
}

/**
 * Counts this user's look-ups in the last `windowMs` and records one more, unless the limit is
 * already reached. Stored in the database so every node of a deployment shares the count; the
 * count and the record are one step under the user's lock (`inKeyLock`), or parallel searches
 * would all read the same count and all pass.
 */
export async function doCountLookup(ctx: AppContext, userId: string, windowMs: number, max: number): Promise<{ allowed: boolean; oldestAt: string | null }> {
  const since = nowIso(Date.now() - windowMs);
  return inKeyLock(ctx, [`directory:${userId}`], async (trx) => {
    await trx.deleteFrom('directory_lookups').where('user_id', '=', userId).where('at', '<', since).execute();
    const rows = await trx.selectFrom('directory_lookups').select('at').where('user_id', '=', userId).orderBy('at').limit(max).execute();
    if (rows.length >= max) return { allowed: false, oldestAt: rows[0]!.at };
    await trx.insertInto('directory_lookups').values({ user_id: userId, at: nowIso() }).execute();
    return { allowed: true, oldestAt: null };
  });
}
