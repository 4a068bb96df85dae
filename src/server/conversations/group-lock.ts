import { sql } from 'kysely';
import type { AppContext } from '../context.js';

/**
 * Changes of one group (people added or removed, someone leaving, a new title) run one at a time,
 * each with its events and its note: otherwise two changes at once, on one node or two, could be
 * noted in the timeline in the other order than they were made ("Bob removed Fay" last, while Fay
 * is in the group), or a title noted that the group does not have. In one process a queue per
 * group orders them; on PostgreSQL an advisory lock held for the whole change orders them across
 * nodes too. Few changes of different groups hold a connection for the lock at once, so a burst
 * of them cannot take the pool from ordinary requests.
 */
const HELD_AT_ONCE = 3;

interface Queues {
  groups: Map<string, Promise<void>>;
  slots: number;
  waiting: (() => void)[];
}

const queues = new WeakMap<AppContext, Queues>();

function queuesOf(ctx: AppContext): Queues {
  let q = queues.get(ctx);
  if (!q) queues.set(ctx, (q = { groups: new Map(), slots: HELD_AT_ONCE, waiting: [] }));
  return q;
}

export async function withGroupLock<T>(ctx: AppContext, conversationId: string, change: () => Promise<T>): Promise<T> {
  const q = queuesOf(ctx);
  const before = q.groups.get(conversationId) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = before.then(() => mine);
  q.groups.set(conversationId, tail);
  await before;
  try {
    if (ctx.dialect !== 'postgres') return await change();
    await takeSlot(q);
    try {
      return await ctx.db.connection().execute(async (conn) => {
        // Session-level: held across the change's own transactions, and let go by PostgreSQL
        // should this connection end.
        await sql`SELECT pg_advisory_lock(hashtextextended(${`group:${conversationId}`}, 0))`.execute(conn);
        try {
          return await change();
        } finally {
          // Failing here (the connection ended) lets go of the lock as well.
          await sql`SELECT pg_advisory_unlock(hashtextextended(${`group:${conversationId}`}, 0))`.execute(conn).catch(() => undefined);
        }
      });
    } finally {
      giveSlot(q);
    }
  } finally {
    release();
    if (q.groups.get(conversationId) === tail) q.groups.delete(conversationId);
  }
}

function takeSlot(q: Queues): Promise<void> {
  if (q.slots > 0) {
    q.slots--;
    return Promise.resolve();
  }
  return new Promise((resolve) => q.waiting.push(resolve));
}

function giveSlot(q: Queues): void {
  const next = q.waiting.shift();
  if (next) next();
  else q.slots++;
}
