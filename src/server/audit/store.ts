import type { AuditEntry } from '../../shared/api/orgs.js';
import type { Executor } from '../context.js';

export interface AuditFilter {
  orgId: string;
  action?: string;
  actorId?: string;
  /** ISO-8601 UTC, inclusive. */
  since?: string;
  /** ISO-8601 UTC, exclusive. */
  until?: string;
  /** The sort key of the last entry of the previous page. */
  before?: { c: string; i: string } | null;
  limit: number;
}

export type AuditRow = Awaited<ReturnType<typeof listAuditRows>>[number];

/** Newest first; ties on the timestamp are broken by id so that pages never skip or repeat. */
export async function listAuditRows(db: Executor, f: AuditFilter) {
  let q = db
    .selectFrom('audit_log')
    .leftJoin('users', 'users.id', 'audit_log.actor_id')
    .selectAll('audit_log')
    .select('users.display_name as actor_name')
    .where('audit_log.org_id', '=', f.orgId);
  if (f.action) q = q.where('audit_log.action', '=', f.action);
  if (f.actorId) q = q.where('audit_log.actor_id', '=', f.actorId);
  if (f.since) q = q.where('audit_log.created_at', '>=', f.since);
  if (f.until) q = q.where('audit_log.created_at', '<', f.until);
  const before = f.before;
  if (before) {
    q = q.where((eb) =>
      eb.or([eb('audit_log.created_at', '<', before.c), eb.and([eb('audit_log.created_at', '=', before.c), eb('audit_log.id', '<', before.i)])]),
    );
  }
  return q.orderBy('audit_log.created_at', 'desc').orderBy('audit_log.id', 'desc').limit(f.limit).execute();
}

function parseData(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function presentAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    action: row.action,
    actorId: row.actor_id,
    actorName: row.actor_name ?? null,
    targetType: row.target_type,
    targetId: row.target_id,
    data: parseData(row.data),
    ip: row.ip,
    createdAt: row.created_at,
  };
}
