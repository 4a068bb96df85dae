import { hasVisibleChar, UNSAFE_NAME_CHARS } from '../../shared/api/common.js';
import { Email } from '../../shared/api/auth.js';
import type { OrgDetails } from '../../shared/api/orgs.js';
import { Plan } from '../../shared/api/shapes.js';
import { findLiveUserByEmail } from '../accounts/store.js';
import { normalizeEmail } from '../accounts/tokens.js';
import { doAuditBy, type Actor } from '../audit/service.js';
import type { AppContext, Executor } from '../context.js';
import { isUniqueViolation } from '../db/util.js';
import { AppError, badRequest, conflict, notFound } from '../http/errors.js';
import { countLiveUsersByOrg, lockOrg, setUserRole } from './members-store.js';
import {
  deleteOrgDomain,
  domainOwner,
  insertOrgDomain,
  insertPendingAdmin,
  listAllOrgDomains,
  listAllPendingAdmins,
  listOrgRows,
  setOrgFields,
} from './org-store.js';
import { findOrgByDomain, getOrgRow, insertOrg, listOrgDomains, normalizeDomain, presentOrg, type OrgRow } from './store.js';

/**
 * Creating and changing orgs (the operator's `parley org …` commands) and reading one org (the
 * API). Every change writes its audit entry in the same transaction.
 */

const NAME_MAX = 100;
// Labels of letters, digits and hyphens (not at either end), at least two labels.
const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function validateOrgName(name: string): string {
  const n = name.trim();
  if (!n) throw badRequest('An organization name is required');
  if (n.length > NAME_MAX) throw badRequest(`An organization name has at most ${NAME_MAX} characters`);
  // Shown beside people's names in every other org (External · <org>): held to the same rules.
  if (UNSAFE_NAME_CHARS.test(n)) throw badRequest('An organization name cannot contain control or text-direction characters');
  if (!hasVisibleChar(n)) throw badRequest('An organization name needs at least one visible character');
  return n;
}

export function validatePlan(plan: string): Plan {
  const r = Plan.safeParse(plan);
  if (!r.success) throw badRequest(`Unknown plan "${plan}": expected one of ${Plan.options.join(', ')}`);
  return r.data;
}

export function validateDomain(domain: string): string {
  const d = normalizeDomain(domain);
  if (!DOMAIN_RE.test(d)) throw badRequest(`"${domain}" is not a valid domain name`);
  return d;
}

function validateAdminEmail(email: string): string {
  const r = Email.safeParse(email);
  if (!r.success) throw badRequest(`"${email}" is not a valid email address`);
  return normalizeEmail(r.data);
}

export async function getOrgDetails(db: Executor, orgId: string): Promise<OrgDetails> {
  const row = await getOrgRow(db, orgId);
  if (!row) throw notFound('Organization');
  return presentOrgDetails(row, await listOrgDomains(db, orgId));
}

function presentOrgDetails(row: OrgRow, domains: string[]): OrgDetails {
  return { ...presentOrg(row, domains), selfSignup: row.self_signup === 1 };
}

/** An org by id, else by one of its domains. */
export async function resolveOrg(db: Executor, ref: string): Promise<OrgRow> {
  const r = ref.trim();
  const byId = r ? await getOrgRow(db, r) : undefined;
  if (byId) return byId;
  const byDomain = r ? await findOrgByDomain(db, r) : undefined;
  if (byDomain) return byDomain;
  throw notFound(`An organization with id or domain "${ref}"`);
}

async function claimDomain(trx: Executor, orgId: string, domain: string): Promise<boolean> {
  const owner = await domainOwner(trx, domain);
  if (owner === orgId) return false;
  if (owner) throw conflict('domain_taken', `The domain ${domain} already belongs to another organization (${owner})`);
  await insertOrgDomain(trx, orgId, domain);
  return true;
}

export type AdminOutcome = { email: string; outcome: 'promoted' | 'already_admin' | 'pending' };

/**
 * `--admin`: a user of this org becomes admin now; an email with no account yet is remembered,
 * and its owner becomes admin when they join by verifying their sign-up. Users never move
 * between orgs, so an email held by another org's user is refused.
 */
async function applyAdmin(trx: Executor, orgId: string, emailNorm: string, actor: Actor): Promise<AdminOutcome> {
  const user = await findLiveUserByEmail(trx, emailNorm);
  if (user && user.org_id !== orgId) {
    throw conflict(
      'email_in_other_org',
      `${emailNorm} already has an account in another organization ("${user.org_name}", ${user.org_id}); accounts cannot move between organizations, so delete that account first or choose another admin`,
    );
  }
  if (user) {
    if (user.role === 'admin') return { email: emailNorm, outcome: 'already_admin' };
    await setUserRole(trx, user.id, 'admin');
    await doAuditBy(trx, actor, { orgId, action: 'user.role_changed', targetType: 'user', targetId: user.id, data: { email: user.email, from: user.role, to: 'admin' } });
    return { email: emailNorm, outcome: 'promoted' };
  }
  await insertPendingAdmin(trx, orgId, emailNorm);
  return { email: emailNorm, outcome: 'pending' };
}

/** A unique violation on org_domains means another command claimed the domain meanwhile. */
async function inTransaction<T>(ctx: AppContext, fn: (trx: Executor) => Promise<T>): Promise<T> {
  try {
    return await ctx.db.transaction().execute(fn);
  } catch (err) {
    if (!(err instanceof AppError) && isUniqueViolation(err)) throw conflict('domain_taken', 'One of these domains was just claimed by another organization');
    throw err;
  }
}

export interface OrgCreateInput {
  name: string;
  plan: string;
  domains?: string[];
  admins?: string[];
  selfSignup?: boolean;
}

export async function doCreateOrg(ctx: AppContext, input: OrgCreateInput, actor: Actor): Promise<{ org: OrgDetails; admins: AdminOutcome[] }> {
  const name = validateOrgName(input.name);
  const plan = validatePlan(input.plan);
  const domains = [...new Set((input.domains ?? []).map(validateDomain))];
  const adminEmails = [...new Set((input.admins ?? []).map(validateAdminEmail))];
  const selfSignup = input.selfSignup ?? true;
  const result = await inTransaction(ctx, async (trx) => {
    const org = await insertOrg(trx, { name, plan });
    if (!selfSignup) await setOrgFields(trx, org.id, { selfSignup });
    for (const d of domains) await claimDomain(trx, org.id, d);
    await doAuditBy(trx, actor, { orgId: org.id, action: 'org.created', targetType: 'org', targetId: org.id, data: { name, plan, domains, selfSignup } });
    const admins: AdminOutcome[] = [];
    for (const e of adminEmails) admins.push(await applyAdmin(trx, org.id, e, actor));
    return { orgId: org.id, admins };
  });
  return { org: await getOrgDetails(ctx.db, result.orgId), admins: result.admins };
}

export interface OrgUpdateInput {
  name?: string;
  plan?: string;
  addDomains?: string[];
  removeDomains?: string[];
  selfSignup?: boolean;
  admins?: string[];
}

export async function doUpdateOrg(ctx: AppContext, orgId: string, input: OrgUpdateInput, actor: Actor): Promise<{ org: OrgDetails; admins: AdminOutcome[] }> {
  const name = input.name === undefined ? undefined : validateOrgName(input.name);
  const plan = input.plan === undefined ? undefined : validatePlan(input.plan);
  const add = [...new Set((input.addDomains ?? []).map(validateDomain))];
  const remove = [...new Set((input.removeDomains ?? []).map((d) => normalizeDomain(d)))];
  const adminEmails = [...new Set((input.admins ?? []).map(validateAdminEmail))];
  const both = add.filter((d) => remove.includes(d));
  if (both.length > 0) throw badRequest(`Cannot both add and remove ${both.join(', ')}`);
  const result = await inTransaction(ctx, async (trx) => {
    await lockOrg(trx, orgId);
    const before = await getOrgRow(trx, orgId);
    if (!before) throw notFound('Organization');
    const changes: Record<string, unknown> = {};
    if (name !== undefined && name !== before.name) changes.name = { from: before.name, to: name };
    if (plan !== undefined && plan !== before.plan) changes.plan = { from: before.plan, to: plan };
    if (input.selfSignup !== undefined && input.selfSignup !== (before.self_signup === 1)) changes.selfSignup = input.selfSignup;
    await setOrgFields(trx, orgId, { name, plan, selfSignup: input.selfSignup });
    const added: string[] = [];
    for (const d of add) if (await claimDomain(trx, orgId, d)) added.push(d);
    for (const d of remove) {
      if (!(await deleteOrgDomain(trx, orgId, d))) throw notFound(`The domain ${d} of this organization`);
    }
    if (added.length) changes.addedDomains = added;
    if (remove.length) changes.removedDomains = remove;
    if (Object.keys(changes).length > 0) await doAuditBy(trx, actor, { orgId, action: 'org.updated', targetType: 'org', targetId: orgId, data: changes });
    const admins: AdminOutcome[] = [];
    for (const e of adminEmails) admins.push(await applyAdmin(trx, orgId, e, actor));
    return { admins };
  });
  return { org: await getOrgDetails(ctx.db, orgId), admins: result.admins };
}

export interface OrgSummary extends OrgDetails {
  users: number;
  pendingAdmins: string[];
}

export async function listOrgSummaries(db: Executor): Promise<OrgSummary[]> {
  const [rows, domains, counts, pending] = await Promise.all([listOrgRows(db), listAllOrgDomains(db), countLiveUsersByOrg(db), listAllPendingAdmins(db)]);
  return rows.map((row) => ({
    ...presentOrgDetails(row, domains.get(row.id) ?? []),
    users: counts.get(row.id) ?? 0,
    pendingAdmins: pending.get(row.id) ?? [],
  }));
}
