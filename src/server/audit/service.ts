import { randomBytes } from 'node:crypto';
import type { AuditEntry } from '../../shared/api/orgs.js';
import type { Executor } from '../context.js';
import { nowIso } from '../db/util.js';
import { badRequest } from '../http/errors.js';
import { decodeCursor, pageOf } from '../http/cursor.js';
import { listAuditRows, presentAuditEntry } from './store.js';

export interface AuditEntryInput {
  orgId: string;
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
}

/** Who did an admin action: a signed-in user (with their IP), or the operator's CLI. */
export type Actor = { kind: 'user'; userId: string; ip: string | null } | { kind: 'cli' };

export const CLI_ACTOR: Actor = { kind: 'cli' };

let lastMs = 0;
let seqInMs = 0;

/**
 * The log reads newest first by (created_at, id). Several entries often share a millisecond
 * (one command changing an org and promoting its admin), so ids made in one process carry a
 * counter after the time: entries then list in the order they were written.
 */
function nextAuditId(): { id: string; at: number } {
  const at = Date.now();
  if (at === lastMs) seqInMs++;
  else {
    lastMs = at;
    seqInMs = 0;
  }
  return { id: at.toString(36).padStart(9, '0') + seqInMs.toString(36).padStart(4, '0') + randomBytes(8).toString('hex'), at };
}

/**
 * Appends to an org's audit log. Called inside the transaction of the action it records, so an
 * action and its audit entry commit together.
 */
export async function doAudit(db: Executor, e: AuditEntryInput): Promise<void> {
  const { id, at } = nextAuditId();
  await db
    .insertInto('audit_log')
    .values({
      id,
      org_id: e.orgId,
      actor_id: e.actorId,
      action: e.action,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      data: JSON.stringify(e.data ?? {}),
      ip: e.ip ?? null,
      created_at: nowIso(at),
    })
    .execute();
}

/**
 * `doAudit` for an action by `actor`: the operator's actions have no actor id and say
 * `via: "cli"` in their data, so the log always tells who did what.
 */
export async function doAuditBy(db: Executor, actor: Actor, e: Omit<AuditEntryInput, 'actorId' | 'ip'>): Promise<void> {
  if (actor.kind === 'cli') {
    await doAudit(db, { ...e, actorId: null, ip: null, data: { ...e.data, via: 'cli' } });
  } else {
    await doAudit(db, { ...e, actorId: actor.userId, ip: actor.ip });
  }
}

/** Parses an ISO date or date-time from a filter into the stored form; a bad one is a 400. */
function toStoredTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!Number.isFinite(t)) throw badRequest(`${name} is not a valid date`);
  return new Date(t).toISOString();
}

export async function listOrgAudit(
  db: Executor,
  orgId: string,
  query: { action?: string; actorId?: string; since?: string; until?: string; cursor?: string; limit: number },
): Promise<{ items: AuditEntry[]; next?: string }> {
  const since = toStoredTime(query.since, 'since');
  const until = toStoredTime(query.until, 'until');
  if (since && until && since > until) throw badRequest('since must not be after until');
  const before = decodeCursor(query.cursor, ['c', 'i'] as const);
  const rows = await listAuditRows(db, { orgId, action: query.action, actorId: query.actorId, since, until, before, limit: query.limit + 1 });
  const page = pageOf(rows, query.limit, (r) => ({ c: r.created_at, i: r.id }));
  return { items: page.items.map(presentAuditEntry), ...(page.next ? { next: page.next } : {}) };
}
