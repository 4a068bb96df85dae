import type { Plan, UserStatus } from '../../shared/api/shapes.js';
import type { Executor } from '../context.js';
import { orgPolicy } from '../orgs/store.js';
import type { BlockFacts, OrgFacts, PersonFacts } from './verdict.js';

/**
 * Loads what the rules need. One `Facts` lives for one request: a chat list asks about the same
 * orgs many times, so orgs are loaded once each.
 */
export class Facts {
  private readonly orgs = new Map<string, Promise<OrgFacts | null>>();
  /** Blocks loaded ahead by `preloadBlocks`, by `${senderId}\u0000${recipientId}`. */
  private readonly knownBlocks = new Map<string, BlockFacts>();

  constructor(readonly db: Executor) {}

  org(orgId: string): Promise<OrgFacts | null> {
    let p = this.orgs.get(orgId);
    if (!p) {
      p = loadOrgFacts(this.db, orgId);
      this.orgs.set(orgId, p);
    }
    return p;
  }

  async person(userId: string): Promise<PersonFacts | null> {
    const u = await this.db.selectFrom('users').select(['id', 'org_id', 'email_norm', 'status']).where('id', '=', userId).executeTakeFirst();
    if (!u) return null;
    return this.personFromRow(u);
  }

  async personFromRow(u: { id: string; org_id: string; email_norm: string; status: string }): Promise<PersonFacts | null> {
    const org = await this.org(u.org_id);
    if (!org) return null;
    return { id: u.id, emailNorm: u.email_norm, status: u.status as UserStatus, org };
  }

  /** The org owning a verified domain (or a parent domain of it), if any. */
  async orgOfDomain(domain: string): Promise<OrgFacts | null> {
    const row = await this.db
      .selectFrom('org_domains')
      .select('org_id')
      .where('domain', '=', domain.toLowerCase())
      .where('verified', '=', 1)
      .executeTakeFirst();
    return row ? this.org(row.org_id) : null;
  }

  blocks(senderId: string, recipientId: string): Promise<BlockFacts> {
    const known = this.knownBlocks.get(`${senderId}\u0000${recipientId}`);
    return known ? Promise.resolve(known) : loadBlocks(this.db, senderId, recipientId);
  }

  /** Loads the blocks between `userId` and each of `others` in one query (a chat list's page). */
  async preloadBlocks(userId: string, others: readonly string[]): Promise<void> {
    if (others.length === 0) return;
    const rows = await this.db
      .selectFrom('user_blocks')
      .select(['blocker_id', 'blocked_id'])
      .where((eb) => eb.or([eb.and([eb('blocker_id', '=', userId), eb('blocked_id', 'in', others)]), eb.and([eb('blocked_id', '=', userId), eb('blocker_id', 'in', others)])]))
      .execute();
    for (const other of others) {
      const byUser = rows.some((r) => r.blocker_id === userId && r.blocked_id === other);
      const byOther = rows.some((r) => r.blocker_id === other && r.blocked_id === userId);
      this.knownBlocks.set(`${userId}\u0000${other}`, { senderBlockedRecipient: byUser, recipientBlockedSender: byOther });
      this.knownBlocks.set(`${other}\u0000${userId}`, { senderBlockedRecipient: byOther, recipientBlockedSender: byUser });
    }
  }
}

export async function loadOrgFacts(db: Executor, orgId: string): Promise<OrgFacts | null> {
  const row = await db.selectFrom('orgs').select(['id', 'name', 'plan', 'policy']).where('id', '=', orgId).executeTakeFirst();
  if (!row) return null;
  const domains = await db.selectFrom('org_domains').select('domain').where('org_id', '=', orgId).where('verified', '=', 1).execute();
  return { id: row.id, name: row.name, plan: row.plan as Plan, policy: orgPolicy(row), domains: domains.map((d) => d.domain.toLowerCase()) };
}

export async function loadBlocks(db: Executor, senderId: string, recipientId: string): Promise<BlockFacts> {
  const rows = await db
    .selectFrom('user_blocks')
    .select(['blocker_id', 'blocked_id'])
    .where((eb) =>
      eb.or([
        eb.and([eb('blocker_id', '=', senderId), eb('blocked_id', '=', recipientId)]),
        eb.and([eb('blocker_id', '=', recipientId), eb('blocked_id', '=', senderId)]),
      ]),
    )
    .execute();
  return {
    senderBlockedRecipient: rows.some((r) => r.blocker_id === senderId),
    recipientBlockedSender: rows.some((r) => r.blocker_id === recipientId),
  };
}
