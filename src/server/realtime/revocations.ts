import { forgetSessions } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../db/util.js';
import { sessionsRevokedSince, type RevokedKey } from './store.js';

/**
 * Revocations are looked for this far back: another process's clock may lag this one's a little,
 * and a revocation committed while the previous look ran must not fall between two looks.
 */
const OVERLAP_MS = 10_000;
/** Revocations read per query; a look reads pages until it has them all (or MAX_PAGES). */
const PER_PAGE = 5000;
/** A bound on one look's work: past it, the next look (or the heartbeat round) goes on. */
const MAX_PAGES = 20;

/**
 * Sessions revoked anywhere in the last few seconds, for the gateway to close their sockets. A
 * node that revokes a session tells every node through the bus at once; this look is for a change
 * the bus did not carry, above all an operator's `parley user deactivate` next to a node without
 * Redis, which would otherwise reach open sockets only at the next heartbeat round (30 s). One
 * indexed query every `pollMs` (one per page of revocations), whatever the number of sockets.
 */
export class RevocationWatch {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Revoked sessions already acted on, with when; forgotten after OVERLAP_MS. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ctx: AppContext,
    private readonly pollMs: number,
    private readonly onRevoked: (sessionIds: ReadonlySet<string>) => void,
    private readonly perPage = PER_PAGE,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look (never two at once); resolves when its sockets are closed. */
  check(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = null));
    return this.running;
  }

  private async look(): Promise<void> {
    const now = Date.now();
    for (const [id, at] of this.seen) if (now - at > OVERLAP_MS) this.seen.delete(id);
    const since = nowIso(now - OVERLAP_MS);
    // Paged: a mass revocation (an org's users deactivated at once) is acted on whole, not only
    // its first page, which every later look of the window would read again.
    let after: RevokedKey | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      let rows: RevokedKey[];
      try {
        rows = await sessionsRevokedSince(this.ctx.db, since, after, this.perPage);
      } catch (err) {
        this.ctx.log.warn({ err }, 'realtime: looking for revoked sessions failed; will retry');
        return;
      }
      const fresh = new Set(rows.filter((r) => !this.seen.has(r.id)).map((r) => r.id));
      if (fresh.size > 0) {
        for (const id of fresh) this.seen.set(id, now);
        // HTTP requests with these tokens fail at once on this node too, not after the cache's 3 s.
        forgetSessions(fresh);
        this.onRevoked(fresh);
      }
      if (rows.length < this.perPage) return;
      after = rows[rows.length - 1]!;
    }
  }
}
