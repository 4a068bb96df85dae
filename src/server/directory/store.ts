import { sql } from 'kysely';
import type { Executor } from '../context.js';
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
 */
export async function searchOwnOrg(db: Executor, orgId: string, prefix: string, excludeUserId: string, limit: number): Promise<PersonRow[]> {
  const p = escapeLike(prefix.toLowerCase());
  return people(db)
    .where('u.org_id', '=', orgId)
    .where('u.status', '=', 'active')
    .where('u.id', '<>', excludeUserId)
    .where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['u.display_name']), 'like', sql<string>`${`${p}%`} escape '\\'`),
        eb(eb.fn('lower', ['u.display_name']), 'like', sql<string>`${`% ${p}%`} escape '\\'`),
        eb('u.email_norm', 'like', sql<string>`${`${p}%`} escape '\\'`),
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
 * already reached. Stored in the database so every node of a deployment shares the count.
 */
export async function doCountLookup(db: Executor, userId: string, windowMs: number, max: number): Promise<{ allowed: boolean; oldestAt: string | null }> {
  const since = nowIso(Date.now() - windowMs);
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('directory_lookups').where('user_id', '=', userId).where('at', '<', since).execute();
    const rows = await trx.selectFrom('directory_lookups').select('at').where('user_id', '=', userId).orderBy('at').limit(max).execute();
    if (rows.length >= max) return { allowed: false, oldestAt: rows[0]!.at };
    await trx.insertInto('directory_lookups').values({ user_id: userId, at: nowIso() }).execute();
    return { allowed: true, oldestAt: null };
  });
}
