import type { OrgPolicy, Plan } from '../../shared/api/shapes.js';
import type { OrgSettings, OrgSettingsPatch } from '../../shared/api/external.js';
import { doAuditBy, type Actor } from '../audit/service.js';
import type { AppContext, Executor } from '../context.js';
import { badRequest, notFound } from '../http/errors.js';
import { lockOrg } from '../orgs/members-store.js';
import { defaultPolicy } from '../orgs/policy.js';
import { getOrgRow, orgPolicy, setOrgPolicyOverrides, type OrgRow } from '../orgs/store.js';
import { publishPolicyChange } from './notify.js';

/**
 * An org's cross-org policy as admins see and change it. Only overrides are stored: a field an
 * admin never set follows the plan's default, so a plan change moves it along.
 */

const KEYS = ['externalMessaging', 'allow', 'allowDomains', 'blockDomains', 'requireAcceptance', 'externalFiles', 'maxFileBytes'] as const;

/** The stored overrides that are well-formed (the same filter `effectivePolicy` applies). */
function storedOverrides(row: Pick<OrgRow, 'plan' | 'policy'>): Partial<OrgPolicy> {
  const effective = orgPolicy(row);
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.policy);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    raw = {};
  }
  const out: Record<string, unknown> = {};
  for (const k of KEYS) if (raw[k] !== undefined && JSON.stringify(raw[k]) === JSON.stringify(effective[k])) out[k] = effective[k];
  return out as Partial<OrgPolicy>;
}

function present(ctx: AppContext, row: OrgRow): OrgSettings {
  return {
    orgId: row.id,
    policy: orgPolicy(row),
    overrides: storedOverrides(row),
    defaults: defaultPolicy(row.plan as Plan),
    deploymentMaxFileBytes: ctx.config.maxFileBytes,
  };
}

async function loadOrg(db: Executor, orgId: string): Promise<OrgRow> {
  const row = await getOrgRow(db, orgId);
  if (!row) throw notFound('Organization');
  return row;
}

export async function getOrgSettings(ctx: AppContext, orgId: string): Promise<OrgSettings> {
  return present(ctx, await loadOrg(ctx.db, orgId));
}

/**
 * Applies a change, audits it with the policy before and after, and tells the members of the
 * org's external chats (their chats may have just become read-only, or live again).
 */
export async function doPatchOrgSettings(ctx: AppContext, orgId: string, patch: OrgSettingsPatch, actor: Actor): Promise<OrgSettings> {
  if (patch.maxFileBytes != null && patch.maxFileBytes > ctx.config.maxFileBytes) {
    throw badRequest(`maxFileBytes is at most ${ctx.config.maxFileBytes} on this deployment`, [
      { path: 'body.maxFileBytes', message: `at most ${ctx.config.maxFileBytes}` },
    ]);
  }
  const { row, changed } = await ctx.db.transaction().execute(async (trx) => {
    await lockOrg(trx, orgId);
    const before = await loadOrg(trx, orgId);
    const overrides: Record<string, unknown> = { ...storedOverrides(before) };
    for (const k of KEYS) {
      const v = patch[k];
      if (v === undefined) continue;
      if (v === null) delete overrides[k];
      else overrides[k] = v;
    }
    await setOrgPolicyOverrides(trx, orgId, overrides as Partial<OrgPolicy>);
    const after = await loadOrg(trx, orgId);
    const policyBefore = orgPolicy(before);
    const policyAfter = orgPolicy(after);
    const changedKeys = KEYS.filter((k) => JSON.stringify(policyBefore[k]) !== JSON.stringify(policyAfter[k]));
    await doAuditBy(trx, actor, {
      orgId,
      action: 'org.settings_changed',
      targetType: 'org',
      targetId: orgId,
      data: { before: policyBefore, after: policyAfter, changed: changedKeys },
    });
    return { row: after, changed: changedKeys.length > 0 };
  });
  if (changed) publishPolicyChange(ctx, { orgId });
  return present(ctx, row);
}
