import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../orgs/policy.js';
import { externalCapabilityFor } from './capability.js';

describe('externalCapabilityFor', () => {
  const on = (plan: 'basic' | 'trial' | 'paid' | 'channel_partner') => ({ ...defaultPolicy(plan), externalMessaging: true });

  it('refuses everyone when the stage is off', () => {
    for (const plan of ['basic', 'trial', 'paid', 'channel_partner'] as const) {
      expect(externalCapabilityFor('off', plan, on(plan))).toMatchObject({ allowed: false, reason: 'stage_off' });
    }
  });

  it('admits basic and channel partner orgs to the beta by default', () => {
    expect(externalCapabilityFor('beta', 'basic', defaultPolicy('basic'))).toEqual({ allowed: true });
    expect(externalCapabilityFor('beta', 'channel_partner', defaultPolicy('channel_partner'))).toEqual({ allowed: true });
  });

  it('admits a paid org to the beta only once it has opted in', () => {
    expect(externalCapabilityFor('beta', 'paid', defaultPolicy('paid'))).toMatchObject({ allowed: false, reason: 'sender_org_disabled' });
    expect(externalCapabilityFor('beta', 'paid', on('paid'))).toEqual({ allowed: true });
  });

  it('never admits a trial org to the beta, even switched on', () => {
    expect(externalCapabilityFor('beta', 'trial', on('trial'))).toMatchObject({ allowed: false, reason: 'sender_org_not_eligible' });
  });

  it('at ga, follows the org switch for every plan', () => {
    expect(externalCapabilityFor('ga', 'trial', on('trial'))).toEqual({ allowed: true });
    expect(externalCapabilityFor('ga', 'trial', defaultPolicy('trial'))).toMatchObject({ allowed: false, reason: 'sender_org_disabled' });
    expect(externalCapabilityFor('ga', 'basic', { ...defaultPolicy('basic'), externalMessaging: false })).toMatchObject({ reason: 'sender_org_disabled' });
  });
});
