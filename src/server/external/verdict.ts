import type { OrgPolicy, Plan, Stage, UserStatus } from '../../shared/api/shapes.js';
import type { PolicyReason } from '../../shared/errors.js';
import { externalCapabilityFor } from './capability.js';

/**
 * The pure core of "who may talk to whom" (design.md): everything is passed in, nothing is
 * loaded, so the whole matrix can be reasoned about and tested cell by cell. `rules.ts` loads
 * the facts and calls these.
 */

export interface OrgFacts {
  id: string;
  name: string;
  plan: Plan;
  policy: OrgPolicy;
  /** The org's verified email domains (lower case). */
  domains: string[];
}

export interface PersonFacts {
  id: string;
  emailNorm: string;
  status: UserStatus;
  org: OrgFacts;
}

export interface BlockFacts {
  /** The sender has blocked the recipient. */
  senderBlockedRecipient: boolean;
  /** The recipient has blocked the sender. */
  recipientBlockedSender: boolean;
}

export type Refusal = { allowed: false; reason: PolicyReason; message: string };
export type Verdict =
  | {
      allowed: true;
      /** The two people are in different orgs, so the cross-org rules applied. */
      external: boolean;
      /** A new chat between them starts as a message request (the recipient's org asks for it). */
      needsAcceptance: boolean;
    }
  | Refusal;

export const REQUEST_MESSAGE_LIMIT = 5;

/** The sentences people read. They name no setting of another org (design.md). */
export const MESSAGES = {
  senderOrgDisallows: 'Your organization’s settings do not allow messaging people at this person’s organization.',
  recipientOrgNotAccepting: 'This person’s organization does not accept messages from your organization.',
  blockedByRecipient: 'This person is not accepting messages from you.',
  blockedBySender: 'You have blocked this person. Unblock them to chat again.',
  userInactive: 'This person’s account is not active, so they cannot receive messages.',
  userDeleted: 'This person’s account was deleted. The chat is kept as read-only history.',
  senderInactive: 'Your account is not active.',
  requestLimit: `You can send up to ${REQUEST_MESSAGE_LIMIT} messages until your message request is accepted.`,
  requestNoFiles: 'Files can be shared once your message request is accepted.',
  declined: 'This person declined your message request.',
} as const;

export function refuse(reason: PolicyReason, message: string): Refusal {
  return { allowed: false, reason, message };
}

export function emailDomainOf(emailNorm: string): string {
  return emailNorm.slice(emailNorm.lastIndexOf('@') + 1);
}

/**
 * Whether `domain` is on a list. A listed domain also covers its subdomains (`acme.example`
 * covers `eu.acme.example`), which is what an admin listing a company's domain means.
 */
export function domainListed(list: readonly string[], domain: string): boolean {
  const d = domain.toLowerCase();
  return list.some((entry) => d === entry || d.endsWith(`.${entry}`));
}

/**
 * Whether an org's lists admit a person of another org. A person is identified by two things an
 * admin may have listed: their own email's domain and every verified domain of their org (so
 * listing `acme.example` covers Acme's people even when one of them signed up with another
 * domain Acme verified). The block-list always wins: any match on it refuses, whatever the
 * allow-list says. With `allow: "listed"`, any match on the allow-list admits.
 */
export function policyAdmits(policy: OrgPolicy, other: { emailNorm: string; orgDomains: readonly string[] }): boolean {
  const domains = [emailDomainOf(other.emailNorm), ...other.orgDomains];
  if (domains.some((d) => domainListed(policy.blockDomains, d))) return false;
  if (policy.allow === 'anyone') return true;
  return domains.some((d) => domainListed(policy.allowDomains, d));
}

function inactive(status: UserStatus): Refusal {
  return refuse('user_inactive', status === 'deleted' ? MESSAGES.userDeleted : MESSAGES.userInactive);
}

/** `decidePair` for two people of one org: nothing but both being active matters. */
export function decideSameOrgPair(senderStatus: UserStatus, recipientStatus: UserStatus): Verdict {
  if (senderStatus !== 'active') return refuse('user_inactive', MESSAGES.senderInactive);
  if (recipientStatus !== 'active') return inactive(recipientStatus);
  return { allowed: true, external: false, needsAcceptance: false };
}

/**
 * May `sender` start or continue a direct chat with `recipient`? Same-org pairs are never
 * touched by the cross-org rules; only both being active matters to them. The order of the
 * checks decides which reason a person sees when several apply: the deployment first, then the
 * sender's own org (which the sender may know), then the other org (said without detail), then
 * the people themselves.
 */
export function decidePair(stage: Stage, sender: PersonFacts, recipient: PersonFacts, blocks: BlockFacts): Verdict {
  if (sender.org.id === recipient.org.id) return decideSameOrgPair(sender.status, recipient.status);
  if (sender.status !== 'active') return refuse('user_inactive', MESSAGES.senderInactive);
  if (recipient.status !== 'active') return inactive(recipient.status);

  const own = externalCapabilityFor(stage, sender.org.plan, sender.org.policy);
  if (!own.allowed) return refuse(own.reason!, own.message!);
  if (!policyAdmits(sender.org.policy, { emailNorm: recipient.emailNorm, orgDomains: recipient.org.domains })) {
    return refuse('sender_org_disallows', MESSAGES.senderOrgDisallows);
  }
  const theirs = externalCapabilityFor(stage, recipient.org.plan, recipient.org.policy);
  if (!theirs.allowed || !policyAdmits(recipient.org.policy, { emailNorm: sender.emailNorm, orgDomains: sender.org.domains })) {
    return refuse('recipient_org_not_accepting', MESSAGES.recipientOrgNotAccepting);
  }
  if (blocks.recipientBlockedSender) return refuse('blocked', MESSAGES.blockedByRecipient);
  if (blocks.senderBlockedRecipient) return refuse('blocked', MESSAGES.blockedBySender);
  return { allowed: true, external: true, needsAcceptance: recipient.org.policy.requireAcceptance };
}

/**
 * May `sender` write to an email that has no active user yet (a pending chat)? The future user
 * will most likely join the org owning the email's domain, so when one does, both orgs' rules
 * are applied to it; an unknown domain (a future `basic` org) is judged by the sender's org only.
 */
export function decidePending(stage: Stage, sender: PersonFacts, emailNorm: string, domainOrg: OrgFacts | null): Verdict {
  if (sender.status !== 'active') return refuse('user_inactive', MESSAGES.senderInactive);
  if (domainOrg && domainOrg.id === sender.org.id) return { allowed: true, external: false, needsAcceptance: false };
  const own = externalCapabilityFor(stage, sender.org.plan, sender.org.policy);
  if (!own.allowed) return refuse(own.reason!, own.message!);
  if (!policyAdmits(sender.org.policy, { emailNorm, orgDomains: domainOrg?.domains ?? [] })) {
    return refuse('sender_org_disallows', MESSAGES.senderOrgDisallows);
  }
  if (domainOrg) {
    const theirs = externalCapabilityFor(stage, domainOrg.plan, domainOrg.policy);
    if (!theirs.allowed || !policyAdmits(domainOrg.policy, { emailNorm: sender.emailNorm, orgDomains: sender.org.domains })) {
      return refuse('recipient_org_not_accepting', MESSAGES.recipientOrgNotAccepting);
    }
  }
  return { allowed: true, external: true, needsAcceptance: domainOrg?.policy.requireAcceptance ?? false };
}
