import type { Org, OrgPolicy, Plan } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import type { OrgsTable } from '../db/schema.js';
import { newId, nowIso } from '../db/util.js';
import { effectivePolicy } from './policy.js';

export type OrgRow = OrgsTable;

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

export function emailDomain(emailNorm: string): string {
  return emailNorm.slice(emailNorm.lastIndexOf('@') + 1);
}

export async function insertOrg(db: Executor, input: { name: string; plan: Plan; policy?: Partial<OrgPolicy> }): Promise<OrgRow> {
  const row: OrgRow = {
    id: newId(),
    name: input.name,
    plan: input.plan,
    policy: JSON.stringify(input.policy ?? {}),
    self_signup: 1,
    created_at: nowIso(),
  };
  await db.insertInto('orgs').values(row).execute();
  return row;
}

export async function getOrgRow(db: Executor, id: string): Promise<OrgRow | undefined> {
  return db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The org owning a verified domain, for sign-up auto-join. */
export async function findOrgByDomain(db: Executor, domain: string): Promise<OrgRow | undefined> {
  return db
    .selectFrom('org_domains')
    .innerJoin('orgs', 'orgs.id', 'org_domains.org_id')
    .selectAll('orgs')
    .where('org_domains.domain', '=', normalizeDomain(domain))
    .where('org_domains.verified', '=', 1)
    .executeTakeFirst();
}

export async function listOrgDomains(db: Executor, orgId: string): Promise<string[]> {
  const rows = await db.selectFrom('org_domains').select('domain').where('org_id', '=', orgId).orderBy('domain').execute();
  return rows.map((r) => r.domain);
}

export function orgPolicy(row: Pick<OrgRow, 'plan' | 'policy'>): OrgPolicy {
  return effectivePolicy(row.plan as Plan, row.policy);
}

export function presentOrg(row: OrgRow, domains: string[]): Org {
  return { id: row.id, name: row.name, plan: row.plan as Plan, domains, createdAt: row.created_at };
}

/** Replaces an org's stored policy overrides (JSON); the external domain's settings API validates them. */
export async function setOrgPolicyOverrides(db: Executor, orgId: string, overrides: Partial<OrgPolicy>): Promise<void> {
  await db.updateTable('orgs').set({ policy: JSON.stringify(overrides) }).where('id', '=', orgId).execute();
}
