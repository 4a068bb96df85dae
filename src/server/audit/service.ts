import type { Executor } from '../context.js';
import { newId, nowIso } from '../db/util.js';

export interface AuditEntryInput {
  orgId: string;
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
}

/**
 * Appends to an org's audit log. Called inside the transaction of the action it records, so an
 * action and its audit entry commit together.
 */
export async function doAudit(db: Executor, e: AuditEntryInput): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId(),
      org_id: e.orgId,
      actor_id: e.actorId,
      action: e.action,
      target_type: e.targetType ?? null,
      target_id: e.targetId ?? null,
      data: JSON.stringify(e.data ?? {}),
      ip: e.ip ?? null,
      created_at: nowIso(),
    })
    .execute();
}
