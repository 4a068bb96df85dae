import type { Capability, OrgPolicy, Plan, Stage } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { orgPolicy, type OrgRow } from '../orgs/store.js';

/**
 * Whether an org may message externally at all (design.md, "Who may talk to whom"), from the
 * deployment stage, the org's plan and its own switch. Pure, so the matrix is easy to test.
 */
export function externalCapabilityFor(stage: Stage, plan: Plan, policy: OrgPolicy): Capability {
  if (stage === 'off') {
    return { allowed: false, reason: 'stage_off', message: 'Messaging people in other organizations is switched off on this Parley deployment.' };
  }
  // During the beta, trial orgs cannot join; a paid org joins by switching it on (opting in).
  if (stage === 'beta' && plan === 'trial') {
    return { allowed: false, reason: 'sender_org_not_eligible', message: 'Your organization’s plan does not include messaging other organizations during the beta.' };
  }
  if (!policy.externalMessaging) {
    return { allowed: false, reason: 'sender_org_disabled', message: 'Your organization has not switched on messaging with other organizations.' };
  }
  return { allowed: true };
}

export async function externalCapability(ctx: AppContext, org: Pick<OrgRow, 'plan' | 'policy'>): Promise<Capability> {
  return externalCapabilityFor(await ctx.settings.stage(), org.plan as Plan, orgPolicy(org));
}
