import type { ClientEvent, ServerEvent } from '../../../src/shared/events.js';

export type RealtimeStatus = 'connecting' | 'open' | 'closed';

export interface RealtimeOptions {
  url: string;
  onEvent: (ev: ServerEvent) => void;
  /** Called on every open; `reconnected` is true after a drop, when the caller must catch up. */
  onOpen?: (reconnected: boolean) => void;
  onStatus?: (s: RealtimeStatus) => void;
  /** Close codes after which retrying is pointless (signed out). */
  stopCodes?: number[];
  createSocket?: (url: string) => WebSocket;
}

/** Delay before reconnect attempt `n` (0-based): doubling from 500 ms up to 15 s, with jitter. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.min(n, 10));
  return Math.round(base / 2 + random() * (base / 2));
}

export function eventsUrl(loc: Pick<Location, 'protocol' | 'host'>): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/events`;
}

export function parseServerEvent(data: unknown): ServerEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const v = JSON.parse(data) as unknown;
    if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') return v as ServerEvent;
  } catch {
    // A frame that is not JSON is ignored rather than breaking the connection.
  }
  return null;
}

/**
 * The one WebSocket of a signed-in tab (the session cookie authenticates it). It reconnects with
 * backoff and tells the caller to catch up, so a dropped connection loses nothing.
 */
export class RealtimeConnection {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private everOpened = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  status: RealtimeStatus = 'closed';

  constructor(private readonly opts: RealtimeOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.socket?.close(1000);
    this.socket = null;
    this.setStatus('closed');
  }

  send(ev: ClientEvent): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(ev));
    return true;
  }

  private setStatus(s: RealtimeStatus): void {
    this.status = s;
    this.opts.onStatus?.(s);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    const ws = (this.opts.createSocket ?? ((u) => new WebSocket(u)))(this.opts.url);
    this.socket = ws;
    ws.onopen = () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempts = 0;
      this.setStatus('open');
      if (this.pingTimer) clearInterval(this.pingTimer);
      // Keeps proxies from closing an idle connection.
      this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 25_000);
      this.opts.onOpen?.(reconnected);
    };
    ws.onmessage = (e: MessageEvent) => {
      const ev = parseServerEvent(e.data);
      if (ev) this.opts.onEvent(ev);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.setStatus('closed');
      if (this.stopped || this.opts.stopCodes?.includes(e.code)) return;
      const delay = backoffMs(this.attempts++);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }
}
