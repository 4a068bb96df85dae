import type { Plan } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { nowIso } from '../db/util.js';
import type { OrgRow } from './store.js';

/** Writes of the org rows themselves and their domains (operator commands). */

export async function setOrgFields(db: Executor, orgId: string, fields: { name?: string; plan?: Plan; selfSignup?: boolean }): Promise<void> {
  const set: Partial<Pick<OrgRow, 'name' | 'plan' | 'self_signup'>> = {};
  if (fields.name !== undefined) set.name = fields.name;
  if (fields.plan !== undefined) set.plan = fields.plan;
  if (fields.selfSignup !== undefined) set.self_signup = fields.selfSignup ? 1 : 0;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('orgs').set(set).where('id', '=', orgId).execute();
}

/** Which org claims a domain (verified or not), if any. */
export async function domainOwner(db: Executor, domain: string): Promise<string | undefined> {
  const r = await db.selectFrom('org_domains').select('org_id').where('domain', '=', domain).executeTakeFirst();
  return r?.org_id;
}

/** Domains claimed by the operator are verified: the operator vouches for them. */
export async function insertOrgDomain(db: Executor, orgId: string, domain: string): Promise<void> {
  await db.insertInto('org_domains').values({ domain, org_id: orgId, verified: 1, created_at: nowIso() }).execute();
}

export async function deleteOrgDomain(db: Executor, orgId: string, domain: string): Promise<boolean> {
  const r = await db.deleteFrom('org_domains').where('org_id', '=', orgId).where('domain', '=', domain).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function insertPendingAdmin(db: Executor, orgId: string, emailNorm: string): Promise<void> {
  await db
    .insertInto('org_pending_admins')
    .values({ org_id: orgId, email_norm: emailNorm, created_at: nowIso() })
    .onConflict((oc) => oc.columns(['org_id', 'email_norm']).doNothing())
    .execute();
}

export async function listPendingAdmins(db: Executor, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_pending_admins').select('email_norm').where('org_id', '=', orgId).orderBy('email_norm').execute();
  return rows.map((r) => r.email_norm);
}

export async function listAllPendingAdmins(db: Executor): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('org_pending_admins').select(['org_id', 'email_norm']).orderBy('email_norm').execute();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.org_id, [...(out.get(r.org_id) ?? []), r.email_norm]);
  return out;
}

export async function listOrgRows(db: Executor): Promise<OrgRow[]> {
  return db.selectFrom('orgs').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function listAllOrgDomains(db: Executor): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('org_domains').select(['org_id', 'domain']).orderBy('domain').execute();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.org_id, [...(out.get(r.org_id) ?? []), r.domain]);
  return out;
}
