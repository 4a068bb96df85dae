import type pg from 'pg';

/** The `code` of the error a query fails with when the database did not answer in time. */
export const QUERY_DEADLINE_CODE = 'PARLEY_QUERY_DEADLINE';

/**
 * Ends a PostgreSQL connection whose query has gone unanswered for `deadline()` ms (0: no limit).
 * A database that stalls (reachable, but not answering) would otherwise hold every request on an
 * open connection for as long as it stalls. The driver's own per-query timeout is not used: after
 * it fires, the connection still waits for the old answer and the next query would be sent on it.
 * Here the connection is ended instead: the query fails (503 to the client, which may retry; a
 * message's clientId keeps a retry from duplicating it) and the pool opens a fresh one.
 */
export function limitQueryTime(client: pg.PoolClient, deadline: () => number): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    const ms = deadline();
    if (ms > 0 && result instanceof Promise) {
      const timer = setTimeout(() => endConnection(client, ms), ms);
      const clear = () => clearTimeout(timer);
      result.then(clear, clear);
    }
    return result;
  };
}

function endConnection(client: pg.PoolClient, ms: number): void {
  const err = Object.assign(new Error(`The database did not answer within ${ms} ms`), { code: QUERY_DEADLINE_CODE });
  // Destroying the socket fails the pending query with `err`, marks the client unusable (the pool
  // discards it on release) and emits 'error', which every pooled client listens to.
  (client as unknown as { connection?: { stream?: { destroy(e: Error): void } } }).connection?.stream?.destroy(err);
}
