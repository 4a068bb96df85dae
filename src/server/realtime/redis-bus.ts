import { redactUrl } from '../config.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServerEvent } from '../../shared/events.js';
import type { BusHandler, EventBus, PublishOptions } from './bus.js';

export const REDIS_CHANNEL = 'parley:events';

/** One PUBLISH carries at most about this much text; a bigger turn is sent in several. */
const MAX_PUBLISH_CHARS = 256 * 1024;

/**
 * Events across nodes: each event is one line `{"u":[userIds],"x":<skip>,"e":<event>}` on one
 * channel; every node's subscriber connection (the publishing node's too, so there is exactly
 * one delivery path) hands it to that node's gateway. The event JSON is spliced in and sliced
 * back out as text, so it is serialized once by the publisher and never again.
 *
 * The events published in one turn of the event loop (a committed batch of messages, say) go as
 * one PUBLISH of their lines joined by newlines, in order: a PUBLISH per event cost Redis and
 * both nodes more than the events themselves. JSON text never holds a raw newline, so the
 * separator is unambiguous.
 */
export class RedisBus implements EventBus {
  private readonly handlers = new Set<BusHandler>();
  private readonly gapHandlers = new Set<() => void>();
  /** The subscriber lost its connection since it last subscribed: events may have gone by. */
  private interrupted = false;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private closed = false;
  private lastErrorLog = 0;
  /** Lines published in this turn, sent together when it ends. */
  private outbox: string[] = [];
  private outboxChars = 0;

  private constructor(
    url: string,
    private readonly log: Logger,
    private readonly channel: string,
    /** The name both connections show in Redis's CLIENT LIST. */
    readonly connectionName: string,
  ) {
    const options = {
      // Keep retrying forever, backing off up to 2 s: a Redis restart must not end the node.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
      maxRetriesPerRequest: null,
      lazyConnect: true,
      connectionName,
    };
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, options);
    for (const [name, conn] of [
      ['publisher', this.pub],
      ['subscriber', this.sub],
    ] as const) {
      conn.on('error', (err: Error) => this.logError(name, err));
      conn.on('reconnecting', () => this.log.info({ conn: name }, 'realtime: reconnecting to Redis'));
      conn.on('ready', () => this.log.debug({ conn: name }, 'realtime: Redis ready'));
    }
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.dispatch(payload);
    });
    // Redis keeps nothing for a subscriber that is away: whatever was published meanwhile (by
    // any node, this one too) is gone for it. Once subscribed again, the gateway is told, so its
    // clients reconnect and catch up from the database.
    this.sub.on('close', () => {
      if (!this.closed) this.interrupted = true;
    });
    this.sub.on('ready', () => {
      if (!this.interrupted || this.closed) return;
      this.interrupted = false;
      this.sub.subscribe(this.channel).then(
        () => this.signalGap(),
        (err: Error) => this.logError('subscriber', err),
      );
    });
  }

  /** Connects both connections and subscribes before answering, so no event is missed at start. */
  static async connect(url: string, log: Logger, channel = REDIS_CHANNEL, connectionName = defaultConnectionName()): Promise<RedisBus> {
    const bus = new RedisBus(url, log, channel, connectionName);
    try {
      await Promise.all([bus.pub.connect(), bus.sub.connect()]);
      await bus.sub.subscribe(channel);
    } catch (err) {
      bus.pub.disconnect();
      bus.sub.disconnect();
      throw new Error(`Cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`);
    }
    return bus;
  }

  publish(userIds: readonly string[], event: ServerEvent, options: PublishOptions = {}): void {
    if (userIds.length === 0 || this.closed) return;
    const line = `{"u":${JSON.stringify(userIds)},"x":${JSON.stringify(options.skipConnection ?? null)},"e":${JSON.stringify(event)}}`;
    if (this.outboxChars + line.length > MAX_PUBLISH_CHARS) this.flush();
    if (this.outbox.length === 0) queueMicrotask(() => this.flush());
    this.outbox.push(line);
    this.outboxChars += line.length;
  }

  private flush(): void {
    if (this.outbox.length === 0) return;
    const payload = this.outbox.join('\n');
    this.outbox = [];
    this.outboxChars = 0;
    // While Redis is down, ioredis queues the command and sends it after reconnecting.
    this.pub.publish(this.channel, payload).catch((err: Error) => this.logError('publisher', err));
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => this.gapHandlers.delete(handler);
  }

  private signalGap(): void {
    this.log.warn('realtime: the Redis subscription was interrupted; clients are asked to reconnect and catch up');
    for (const h of this.gapHandlers) {
      try {
        h();
      } catch (err) {
        this.log.error({ err }, 'realtime: gap handler failed');
      }
    }
  }

  private dispatch(payload: string): void {
    if (this.handlers.size === 0) return;
    let from = 0;
    for (let nl = payload.indexOf('\n'); nl >= 0; nl = payload.indexOf('\n', from)) {
      this.dispatchLine(payload.slice(from, nl));
      from = nl + 1;
    }
    this.dispatchLine(from === 0 ? payload : payload.slice(from));
  }

  private dispatchLine(payload: string): void {
    let parsed: { u: string[]; x: string | null; e: ServerEvent };
    try {
      parsed = JSON.parse(payload) as { u: string[]; x: string | null; e: ServerEvent };
    } catch {
      this.log.warn('realtime: ignoring a malformed event from Redis');
      return;
    }
    if (!Array.isArray(parsed.u) || !parsed.e || typeof parsed.e !== 'object') return;
    const skip = typeof parsed.x === 'string' ? parsed.x : null;
    // The payload was written as `{"u":<ids>,"x":<skip>,"e":<json>}`; re-stringifying the ids
    // and the skip gives the same text, so the event's JSON is the rest minus the closing brace.
    const start = '{"u":'.length + JSON.stringify(parsed.u).length + ',"x":'.length + JSON.stringify(skip).length + ',"e":'.length;
    const json = payload.slice(start, -1);
    const options: PublishOptions = skip ? { skipConnection: skip } : {};
    for (const h of this.handlers) {
      try {
        h(parsed.u, parsed.e, json, options);
      } catch (err) {
        this.log.error({ err }, 'realtime: event handler failed');
      }
    }
  }

  private logError(conn: string, err: Error): void {
    if (this.closed) return;
    // A Redis outage produces an error per retry; one line every 10 s is enough.
    const now = Date.now();
    if (now - this.lastErrorLog < 10_000) return;
    this.lastErrorLog = now;
    this.log.warn({ conn, err: err.message }, 'realtime: Redis error');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // What was published before closing still goes out (quit waits for it).
    this.flush();
    this.closed = true;
    this.handlers.clear();
    await Promise.all(
      [this.sub, this.pub].map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}


/** Each node's connections are told apart in CLIENT LIST: host, process and a random part. */
function defaultConnectionName(): string {
  const host = os.hostname().replace(/[^A-Za-z0-9.-]/g, '').slice(0, 40) || 'host';
  return `parley-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
