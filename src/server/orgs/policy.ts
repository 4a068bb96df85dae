import type { OrgPolicy, Plan } from '../../shared/api/shapes.js';

export const MIB = 1024 * 1024;

/** Defaults of design.md: they depend on the plan, so a plan change moves unset fields with it. */
export function defaultPolicy(plan: Plan): OrgPolicy {
  return {
    externalMessaging: plan === 'basic' || plan === 'channel_partner',
    allow: 'anyone',
    allowDomains: [],
    blockDomains: [],
    requireAcceptance: plan === 'paid',
    externalFiles: true,
    maxFileBytes: 100 * MIB,
  };
}

/** The stored overrides on top of the plan's defaults. Unknown or ill-typed keys are ignored. */
export function effectivePolicy(plan: Plan, stored: string): OrgPolicy {
  const base = defaultPolicy(plan);
  let overrides: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(stored);
    if (parsed && typeof parsed === 'object') overrides = parsed as Record<string, unknown>;
  } catch {
    overrides = {};
  }
  const out: OrgPolicy = { ...base };
  for (const key of Object.keys(base) as (keyof OrgPolicy)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (typeof v === typeof base[key] && Array.isArray(v) === Array.isArray(base[key])) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}
