import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../shared/realtime-client.js';
import { CLIENT_NAME } from './session.js';

/** Until the server says how often it pings (its `hello`), this much silence is allowed. */
const SILENCE_BEFORE_HELLO_MS = 90_000;
/** Pings that many heartbeats apart are missed before the connection is called dead. */
const MISSED_HEARTBEATS = 2.5;

/**
 * The command-line client's WebSocket: the token goes in an `Authorization` header, never in the
 * URL (where proxies log it); the handshake gives up after `timeoutMs`; and a connection on which
 * the server stays silent (no ping, no frame) for 2.5 of its heartbeats is ended, so the shared
 * client reconnects instead of waiting on a server that stopped answering.
 */
export function cliWebSocket(token: string, timeoutMs: number): WebSocketConstructor {
  return class CliWebSocket extends WebSocket {
    private silenceMs = SILENCE_BEFORE_HELLO_MS;
    private helloSeen = false;
    private timer: ReturnType<typeof setTimeout> | undefined;

    constructor(url: string) {
      super(url, [], { headers: { authorization: `Bearer ${token}`, 'parley-client': CLIENT_NAME }, handshakeTimeout: timeoutMs });
      this.on('open', () => this.heard());
      this.on('ping', () => this.heard());
      this.on('message', (data: WebSocket.RawData) => {
        if (!this.helloSeen) this.learnHeartbeat(data);
        this.heard();
      });
      this.on('close', () => clearTimeout(this.timer));
    }

    private learnHeartbeat(data: WebSocket.RawData): void {
      try {
        const hello = JSON.parse(String(data)) as { type?: unknown; heartbeatMs?: unknown };
        this.helloSeen = hello.type === 'hello';
        if (this.helloSeen && typeof hello.heartbeatMs === 'number' && hello.heartbeatMs > 0) {
          this.silenceMs = Math.max(1000, hello.heartbeatMs * MISSED_HEARTBEATS);
        }
      } catch {
        // Not JSON: the shared client reports it.
      }
    }

    private heard(): void {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.terminate(), this.silenceMs);
      this.timer.unref?.();
    }
  };
}
