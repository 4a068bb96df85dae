import type { Conversation } from './api/shapes.js';
import type { ParleyClient } from './client.js';
import type { ServerEvent } from './events.js';

/**
 * The part of a WebSocket this client uses: the browser's global `WebSocket` and Node's `ws`
 * both fit, so this file imports neither (pass the constructor in). Handler parameters are
 * `never` so that either implementation's event types are accepted.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: never) => void) | null;
  onmessage: ((ev: never) => void) | null;
  onclose: ((ev: never) => void) | null;
  onerror: ((ev: never) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export type RealtimeStatus = 'connecting' | 'open' | 'reconnecting' | 'ended' | 'closed';

export interface RealtimeOptions {
  /** The API client (its base URL and token are used for the socket and for catching up). */
  api: ParleyClient;
  WebSocket: WebSocketConstructor;
  onEvent: (event: ServerEvent) => void;
  onStatus?: (status: RealtimeStatus, detail?: { code?: number; reason?: string; retryInMs?: number }) => void;
  /** Errors that do not stop the client (a failed catch-up, an unparseable frame). */
  onError?: (err: Error) => void;
  /**
   * Track every conversation of the user: on the first connection the chat list is the
   * baseline; after a reconnect, messages of every chat written meanwhile (new chats included)
   * are fetched and delivered as `message.created`, in `seq` order, then the edits and deletions
   * made meanwhile as `message.updated` / `message.deleted`, in `changeSeq` order. Without it, a
   * chat is followed from the first event heard (or `track`); its first catch-up then replays all
   * of its edits and deletions, as the client knows no earlier change number for it.
   */
  syncConversations?: boolean;
  /** With `syncConversations`: each chat list as it is read (at start and after every reconnect). */
  onConversations?: (list: Conversation[]) => void;
  /**
   * Puts the token in the socket URL (`?token=`), the only way a browser's WebSocket can carry
   * it. False for a WebSocket constructor that sends it as an `Authorization` header itself:
   * URLs end up in the logs of proxies.
   */
  tokenInUrl?: boolean;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}
