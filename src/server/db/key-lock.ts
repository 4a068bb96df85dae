import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { AppContext, Executor } from '../context.js';

/**
 * Runs `fn` in a transaction that no other transaction locking one of the same `keys` overlaps,
 * on any node of the deployment. It is for limits ("fewer than N so far, so one more"): the count
 * and the row it allows must be one step, or parallel requests all read the same count and all
 * pass. `fn` must use only the transaction it is given (a second connection could wait on the
 * lock this one holds), and should be quick: slow work (password hashing) belongs outside.
 */
export async function inKeyLock<T>(ctx: AppContext, keys: readonly string[], fn: (trx: Executor) => Promise<T>): Promise<T> {
  if (ctx.dialect === 'postgres') {
    return ctx.db.transaction().execute(async (trx) => {
      // Transaction-scoped, so a failed request cannot leave a lock behind. Taken in one fixed
      // order, so two transactions wanting overlapping keys cannot deadlock.
      for (const id of lockIds(keys)) await sql`select pg_advisory_xact_lock(${id}::bigint)`.execute(trx);
      return fn(trx);
    });
  }
  // SQLite has one writer at a time. IMMEDIATE takes the write lock at BEGIN (waiting for
  // another process's writer, if any), so what `fn` reads cannot change before it writes; a
  // plain BEGIN would read first and could then fail to write. On this node, holding Kysely's
  // one connection already keeps every other transaction out meanwhile.
  const raw = ctx.dbHandle.sqlite;
  return ctx.db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (err) {
      if (raw?.inTransaction) await sql`rollback`.execute(conn);
      throw err;
    }
  });
}

/** 64-bit advisory lock ids (PostgreSQL's bigint), distinct and in ascending order. */
function lockIds(keys: readonly string[]): string[] {
  const ids = new Set(keys.map((k) => createHash('sha256').update(`parley:${k}`).digest().readBigInt64BE(0)));
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
}
