import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../orgs/policy.js';
import { decidePair, decidePending, domainListed, policyAdmits, type OrgFacts, type PersonFacts } from './verdict.js';

const none = { senderBlockedRecipient: false, recipientBlockedSender: false };

function org(id: string, over: Partial<OrgFacts> = {}): OrgFacts {
  return { id, name: id, plan: 'basic', policy: defaultPolicy('basic'), domains: [`${id}.example`], ...over };
}
function person(o: OrgFacts, local = 'p', status: PersonFacts['status'] = 'active'): PersonFacts {
  return { id: `${local}@${o.id}`, emailNorm: `${local}@${o.domains[0] ?? 'gmail.example'}`, status, org: o };
}

describe('domain lists', () => {
  it('match a domain and its subdomains, never a mere suffix', () => {
    expect(domainListed(['acme.example'], 'acme.example')).toBe(true);
    expect(domainListed(['acme.example'], 'eu.acme.example')).toBe(true);
    expect(domainListed(['acme.example'], 'notacme.example')).toBe(false);
    expect(domainListed([], 'acme.example')).toBe(false);
  });

  it('judge a person by their email domain and by every verified domain of their org; the block-list wins', () => {
    const p = { ...defaultPolicy('basic'), allow: 'listed' as const, allowDomains: ['acme.example'] };
    expect(policyAdmits(p, { emailNorm: 'x@gmail.example', orgDomains: ['acme.example'] })).toBe(true);
    expect(policyAdmits(p, { emailNorm: 'x@acme.example', orgDomains: [] })).toBe(true);
    expect(policyAdmits(p, { emailNorm: 'x@other.example', orgDomains: ['other.example'] })).toBe(false);
    expect(policyAdmits({ ...p, blockDomains: ['acme.example'] }, { emailNorm: 'x@acme.example', orgDomains: [] })).toBe(false);
    expect(policyAdmits({ ...defaultPolicy('basic'), blockDomains: ['acme.example'] }, { emailNorm: 'x@gmail.example', orgDomains: ['acme.example'] })).toBe(false);
  });
});

describe('decidePair', () => {
  const a = org('a');
  const b = org('b');

  it('leaves same-org pairs alone, whatever the stage and policy; only activity matters', () => {
    const closed = org('c', { plan: 'trial', policy: { ...defaultPolicy('trial'), blockDomains: ['c.example'] } });
    expect(decidePair('off', person(closed, 'x'), person(closed, 'y'), none)).toEqual({ allowed: true, external: false, needsAcceptance: false });
    expect(decidePair('ga', person(closed, 'x'), person(closed, 'y', 'deactivated'), none)).toMatchObject({ allowed: false, reason: 'user_inactive' });
  });

  it('says user_inactive for deactivated and deleted people with different sentences', () => {
    const d1 = decidePair('ga', person(a), person(b, 'q', 'deactivated'), none);
    const d2 = decidePair('ga', person(a), person(b, 'q', 'deleted'), none);
    expect(d1).toMatchObject({ allowed: false, reason: 'user_inactive' });
    expect(d2).toMatchObject({ allowed: false, reason: 'user_inactive' });
    expect(d1.allowed === false && d2.allowed === false && d1.message !== d2.message).toBe(true);
  });

  it('refuses blocked pairs either way, after the org rules', () => {
    expect(decidePair('ga', person(a), person(b), { senderBlockedRecipient: false, recipientBlockedSender: true })).toMatchObject({ reason: 'blocked' });
    expect(decidePair('ga', person(a), person(b), { senderBlockedRecipient: true, recipientBlockedSender: false })).toMatchObject({ reason: 'blocked' });
    expect(decidePair('off', person(a), person(b), { senderBlockedRecipient: true, recipientBlockedSender: true })).toMatchObject({ reason: 'stage_off' });
  });

  it('never names the recipient org’s setting: off, not eligible and excluded read the same', () => {
    const off = org('off', { policy: { ...defaultPolicy('basic'), externalMessaging: false } });
    const trial = org('trial', { plan: 'trial', policy: { ...defaultPolicy('trial'), externalMessaging: true } });
    const excl = org('excl', { policy: { ...defaultPolicy('basic'), blockDomains: ['a.example'] } });
    const answers = [decidePair('ga', person(a), person(off), none), decidePair('beta', person(a), person(trial), none), decidePair('ga', person(a), person(excl), none)];
    expect(new Set(answers.map((x) => JSON.stringify(x))).size).toBe(1);
    expect(answers[0]).toMatchObject({ allowed: false, reason: 'recipient_org_not_accepting' });
  });

  it('asks for acceptance when the recipient org requires it', () => {
    const acc = org('acc', { policy: { ...defaultPolicy('basic'), requireAcceptance: true } });
    expect(decidePair('ga', person(a), person(acc), none)).toEqual({ allowed: true, external: true, needsAcceptance: true });
    expect(decidePair('ga', person(acc), person(a), none)).toEqual({ allowed: true, external: true, needsAcceptance: false });
  });
});

describe('decidePending', () => {
  it('treats the own org’s domain as a colleague, and an unknown domain by the sender’s rules only', () => {
    const paid = org('paid', { plan: 'paid', policy: defaultPolicy('paid') });
    expect(decidePending('off', person(paid), 'new@paid.example', paid)).toMatchObject({ allowed: true, external: false });
    expect(decidePending('ga', person(paid), 'new@elsewhere.example', null)).toMatchObject({ allowed: false, reason: 'sender_org_disabled' });
    expect(decidePending('ga', person(org('a')), 'new@elsewhere.example', null)).toMatchObject({ allowed: true, external: true });
    expect(decidePending('ga', person(org('a')), 'new@paid.example', paid)).toMatchObject({ allowed: false, reason: 'recipient_org_not_accepting' });
  });
});
