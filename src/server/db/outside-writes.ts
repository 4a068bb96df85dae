import type SQLite from 'better-sqlite3';
import type { Executor } from '../context.js';
import { sqliteHandleOf } from './precompiled.js';

/**
 * How long a SQLite node may go without looking for writes by other connections. An operator's
 * command (`parley org …`, `parley user …`) opens the database file itself, so the node hears of
 * its changes through no event; this is how soon its caches notice them.
 */
export const OUTSIDE_CHECK_MS = 100;

/**
 * The lifetime of a cache entry where outside writes are watched. The node's own changes forget
 * what they touch, and outside ones are seen by their version, so this is only a backstop.
 */
export const WATCHED_CACHE_TTL_MS = 30_000;

/**
 * Commits to a node's SQLite database by any connection but the node's own: in practice an
 * operator's command in another process. The node's caches of sessions and send targets remember
 * the version they loaded under, and an entry loaded before an outside commit is loaded again.
 * The node's own writes forget what they change themselves (see those caches), so on SQLite the
 * caches need no short lifetime to catch up with what happened elsewhere.
 *
 * SQLite's `PRAGMA data_version` changes whenever another connection commits, never for the
 * connection's own commits. A checkpoint copies without committing and leaves it alone, but one
 * that starts the WAL over from another connection changes it: a false alarm, which costs only
 * reloads. Reading it is a statement (about 2 µs), so it is read at most once per
 * `OUTSIDE_CHECK_MS`, not at every request.
 */
export class OutsideWrites {
  private readonly stmt: SQLite.Statement<[], number>;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private value = 0;

  constructor(raw: SQLite.Database) {
    this.stmt = raw.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** A number that differs from an earlier answer once another connection has committed. */
  version(now = Date.now()): number {
    if (now - this.checkedAt >= OUTSIDE_CHECK_MS || now < this.checkedAt) {
      this.value = Number(this.stmt.get());
      this.checkedAt = now;
    }
    return this.value;
  }
}

const watches = new WeakMap<SQLite.Database, OutsideWrites>();

/**
 * The watch of the SQLite database under `db`; null on PostgreSQL, which has no such signal (its
 * nodes learn of each other's changes through the event bus, and the caches keep short lifetimes
 * for the rest).
 */
export function outsideWrites(db: Executor): OutsideWrites | null {
  const raw = sqliteHandleOf(db);
  if (!raw) return null;
  let w = watches.get(raw);
  if (!w) watches.set(raw, (w = new OutsideWrites(raw)));
  return w;
}
