import type { WebSocket } from 'ws';
import type { Gateway } from './gateway.js';

// Flood control: a token bucket per connection. Bursts up to BURST frames pass; past that,
// frames are dropped, and a connection that keeps flooding (RATE frames dropped without a
// pause long enough to refill the bucket) is closed with 1008.
const RATE = 20;
const BURST = 40;
// Frames answered by a handler (`message.send`) have a bucket of their own, well above the
// per-user send rate limit, which is what a normal client meets (with a clear rate_limited).
const REQUEST_RATE = 200;
const REQUEST_BURST = 400;

export class TypingEntry {
  checkedAt = 0;
  /** The chat's membership version (Gateway.membershipVersions) this answer was read at. */
  version = 0;
  sentAt = 0;
  member = false;
  writable = false;
  others: string[] = [];
  checking: Promise<void> | null = null;
}

/**
 * One open socket. Kept deliberately small (no per-socket timers or closures): the gateway's
 * shared interval does liveness and session checks for all of them.
 */
/** A request frame's place in its socket's line: `wait` for the frames before, then `done`. */
export interface RequestTurn {
  wait(): Promise<void>;
  done(): void;
}

export class Conn {
  alive = true;
  tokens = BURST;
  refillAt = Date.now();
  dropped = 0;
  requestTokens = REQUEST_BURST;
  requestRefillAt = Date.now();
  typing: Map<string, TypingEntry> | null = null;
  /** Settles once the latest request frame has reached the message writer (or failed before). */
  private lastTurn: Promise<void> = Promise.resolve();
  constructor(
    readonly id: string,
    readonly userId: string,
    readonly sessionId: string,
    /** The session token the socket opened with: requests over the socket authenticate by it. */
    readonly token: string,
    readonly ws: WebSocket,
    readonly gw: Gateway,
  ) {}

  /** Takes a token for a frame: false when the frame is to be dropped. */
  admitFrame(now = Date.now()): boolean {
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refillAt) * RATE) / 1000);
    this.refillAt = now;
    if (this.tokens >= 1) {
      // A bucket that refilled completely means the client calmed down: forgive old drops.
      if (this.tokens >= BURST) this.dropped = 0;
      this.tokens -= 1;
      return true;
    }
    this.dropped++;
    return false;
  }

  /** Dropping has gone on for RATE frames without a pause: the socket is to be closed. */
  get flooding(): boolean {
    return this.dropped > RATE;
  }

  /**
   * The next request frame's place in line: its checks run at once, beside those of the frames
   * before it, but it reaches the message writer (which numbers messages in the order they reach
   * it) only after they have. Frames sent on one socket are stored in the order they were sent.
   */
  nextTurn(): RequestTurn {
    const before = this.lastTurn;
    let done!: () => void;
    this.lastTurn = new Promise<void>((resolve) => (done = resolve));
    return { wait: () => before, done };
  }

  /** Takes a token for a request frame (`message.send`): false when it is to be refused. */
  admitRequest(now = Date.now()): boolean {
    this.requestTokens = Math.min(REQUEST_BURST, this.requestTokens + ((now - this.requestRefillAt) * REQUEST_RATE) / 1000);
    this.requestRefillAt = now;
    if (this.requestTokens < 1) return false;
    this.requestTokens -= 1;
    return true;
  }
}
