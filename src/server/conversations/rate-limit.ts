import type { AppContext } from '../context.js';
import { rateLimited } from '../http/errors.js';

export interface RateLimitOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: how many sends may come at once after a quiet spell. */
  burst: number;
}

/**
 * Default send limit per user and node: far above what a person types or the benchmark's
 * per-user rate, low enough that one account cannot flood a node.
 */
export const DEFAULT_SEND_LIMIT: RateLimitOptions = { perSecond: 50, burst: 100 };

/** Token buckets in memory, one per key. Idle full buckets are dropped so memory stays bounded. */
export class TokenBuckets {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(public options: RateLimitOptions) {}

  /** Takes a token, or answers how many seconds until one is available. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfter: number } {
    const { perSecond, burst } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.set(key, b);
      if (this.buckets.size > 50_000) this.prune(now);
      return { ok: true };
    }
    this.buckets.set(key, b);
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
  }

  private prune(now: number): void {
    const { perSecond, burst } = this.options;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
    }
  }
}

const limiters = new WeakMap<AppContext, TokenBuckets>();

export function sendLimiter(ctx: AppContext): TokenBuckets {
  let l = limiters.get(ctx);
  if (!l) limiters.set(ctx, (l = new TokenBuckets({ ...DEFAULT_SEND_LIMIT })));
  return l;
}

/** Changes this node's send limit (tests; a future setting). */
export function configureSendLimit(ctx: AppContext, options: RateLimitOptions): void {
  sendLimiter(ctx).options = { ...options };
}

/** Throws 429 `rate_limited` (with Retry-After) when the user sends faster than allowed. */
export function checkSendRate(ctx: AppContext, userId: string): void {
  const r = sendLimiter(ctx).take(userId);
  if (!r.ok) throw rateLimited(r.retryAfter, 'You are sending messages too fast; wait a moment and try again');
}
