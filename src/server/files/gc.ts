import type { AppContext } from '../context.js';
import { lockRows, nowIso } from '../db/util.js';
import { fileStorage } from './service.js';

export interface GcOptions {
  /** Reference time (tests move it forward). */
  now?: number;
  /** An upload never attached to a message is kept this long (default one hour). */
  unattachedTtlMs?: number;
  /** A blob written or re-used this recently is kept (default ten minutes). */
  keepRecentBlobsMs?: number;
}

export interface GcResult {
  filesRemoved: number;
  blobsRemoved: number;
}

const BATCH = 500;

/**
 * Removes files nobody can reach any more — those of deleted messages, those whose message was
 * deleted without being detached, and uploads never attached within the TTL — and then every
 * blob that no remaining file row uses (identical files share one blob).
 */
export async function doCollectGarbage(ctx: AppContext, opts: GcOptions = {}): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const cutoff = nowIso(now - (opts.unattachedTtlMs ?? 3600_000));
  const db = ctx.db;
  const result: GcResult = { filesRemoved: 0, blobsRemoved: 0 };
  for (;;) {
    const candidates = await db
      .selectFrom('files')
      .select(['id', 'storage_key'])
      .where((eb) =>
        eb.or([
          eb('files.deleted_at', 'is not', null),
          eb.and([
            eb('files.created_at', '<', cutoff),
            eb.not(eb.exists(eb.selectFrom('message_files as mf').select('mf.file_id').whereRef('mf.file_id', '=', 'files.id'))),
          ]),
          eb.exists(
            eb
              .selectFrom('message_files as mf')
              .innerJoin('messages as m', 'm.id', 'mf.message_id')
              .select('mf.file_id')
              .whereRef('mf.file_id', '=', 'files.id')
              .where('m.deleted_at', 'is not', null),
          ),
        ]),
      )
      .limit(BATCH)
      .execute();
    if (candidates.length === 0) break;
    const ids = candidates.map((c) => c.id);
    const removed = await db.transaction().execute(async (trx) => {
      // PostgreSQL: wait for a message being stored with one of these files (it holds them, see
      // `findUnattachable`); the statements below then see its link and keep the file.
      if (lockRows(trx)) await trx.selectFrom('files').select('id').where('id', 'in', ids).orderBy('id').forUpdate().execute();
      await trx
        .deleteFrom('message_files')
        .where('file_id', 'in', ids)
        .where((eb) =>
          eb.or([
            eb.exists(eb.selectFrom('files as f').select('f.id').whereRef('f.id', '=', 'message_files.file_id').where('f.deleted_at', 'is not', null)),
            eb.exists(eb.selectFrom('messages as m').select('m.id').whereRef('m.id', '=', 'message_files.message_id').where('m.deleted_at', 'is not', null)),
          ]),
        )
        .execute();
      // Re-checked here: an old upload may have been attached since it was picked.
      const r = await trx
        .deleteFrom('files')
        .where('id', 'in', ids)
        .where((eb) => eb.or([eb('deleted_at', 'is not', null), eb.not(eb.exists(eb.selectFrom('message_files as mf').select('mf.file_id').whereRef('mf.file_id', '=', 'files.id')))]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    });
    result.filesRemoved += removed;
    for (const key of new Set(candidates.map((c) => c.storage_key))) {
      if (await blobInUse(ctx, key)) continue;
      const before = await fileStorage(ctx).stat(key);
      await fileStorage(ctx).delete(key, { stillWanted: () => blobInUse(ctx, key), keepIfUsedWithinMs: opts.keepRecentBlobsMs ?? 10 * 60_000 });
      if (before && !(await fileStorage(ctx).stat(key))) result.blobsRemoved++;
    }
    if (candidates.length < BATCH || removed === 0) break;
  }
  return result;
}

async function blobInUse(ctx: AppContext, key: string): Promise<boolean> {
  const row = await ctx.db.selectFrom('files').select('id').where('storage_key', '=', key).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Runs the collector every `everyMs` in this node, stopped at shutdown. */
export function startGarbageCollector(ctx: AppContext, everyMs = 15 * 60_000): void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    doCollectGarbage(ctx)
      .then((r) => {
        if (r.filesRemoved || r.blobsRemoved) ctx.log.info(r, 'files collected');
      })
      .catch((err: unknown) => ctx.log.warn({ err }, 'file collection failed'))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  ctx.lifecycle.onClose(() => clearInterval(timer));
}
