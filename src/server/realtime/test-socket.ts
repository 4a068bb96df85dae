import WebSocket from 'ws';
import type { ServerEvent } from '../../shared/events.js';

/** A WebSocket client for tests: records every event and waits for the ones asked for. */
export class TestSocket {
  readonly events: ServerEvent[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { pred: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const e = JSON.parse(data.toString()) as ServerEvent;
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(e)) return true;
        w.resolve(e);
        return false;
      });
    });
    ws.on('error', () => undefined);
  }

  /** Opens a socket to `baseUrl` and resolves after the server's `hello`. */
  static async open(baseUrl: string, auth: { token?: string; query?: boolean; headers?: Record<string, string> } = {}): Promise<TestSocket> {
    const url = new URL('/api/v1/events', baseUrl.replace(/^http/, 'ws'));
    const headers: Record<string, string> = { ...auth.headers };
    if (auth.token && auth.query) url.searchParams.set('token', auth.token);
    else if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    const s = new TestSocket(ws);
    const hello = s.next((e) => e.type === 'hello');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    await hello;
    return s;
  }

  /** The first event (already received or still to come) matching `pred`. */
  next<T extends ServerEvent = ServerEvent>(pred: (e: ServerEvent) => boolean, timeoutMs = 5000): Promise<T> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as T);
        },
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  count(pred: (e: ServerEvent) => boolean): number {
    return this.events.filter(pred).length;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The HTTP status a WebSocket handshake is answered with when it is refused (no 101). */
export function handshakeStatus(
  baseUrl: string,
  opts: { token?: string; query?: boolean; headers?: Record<string, string>; queryToken?: string } = {},
): Promise<{ status: number; body: string }> {
  const url = new URL('/api/v1/events', baseUrl.replace(/^http/, 'ws'));
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token && opts.query) url.searchParams.set('token', opts.token);
  else if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.queryToken) url.searchParams.set('token', opts.queryToken);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}
