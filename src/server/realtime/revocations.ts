import { forgetSessions } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../db/util.js';
import { sessionsRevokedSince } from './store.js';

/**
 * Revocations are looked for this far back: another process's clock may lag this one's a little,
 * and a revocation committed while the previous look ran must not fall between two looks.
 */
const OVERLAP_MS = 10_000;
const PER_LOOK = 5000;

/**
 * Sessions revoked anywhere in the last few seconds, for the gateway to close their sockets. A
 * node that revokes a session tells every node through the bus at once; this look is for a change
 * the bus did not carry, above all an operator's `parley user deactivate` next to a node without
 * Redis, which would otherwise reach open sockets only at the next heartbeat round (30 s). One
 * indexed query every `pollMs`, whatever the number of sockets.
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
    let ids: string[];
    try {
      ids = await sessionsRevokedSince(this.ctx.db, nowIso(now - OVERLAP_MS), PER_LOOK);
    } catch (err) {
      this.ctx.log.warn({ err }, 'realtime: looking for revoked sessions failed; will retry');
      return;
    }
    const fresh = new Set(ids.filter((id) => !this.seen.has(id)));
    if (fresh.size === 0) return;
    for (const id of fresh) this.seen.set(id, now);
    // HTTP requests with these tokens fail at once on this node too, not after the cache's 3 s.
    forgetSessions(fresh);
    this.onRevoked(fresh);
  }
}
