import type { Conversation, Message } from './api/shapes.js';
import type { ErrorBody } from './errors.js';

/**
 * Server → client WebSocket events (design.md). Built by the same presenters as the REST
 * responses, so an event carries exactly what the matching GET would answer.
 */
export type ServerEvent =
  /** `heartbeatMs`: how often the server pings; a client that hears nothing for much longer can call the connection dead. */
  | { type: 'hello'; userId: string; connectionId: string; heartbeatMs?: number }
  | { type: 'message.created'; conversationId: string; message: Message }
  | { type: 'message.updated'; conversationId: string; message: Message }
  | { type: 'message.deleted'; conversationId: string; message: Message }
  | { type: 'conversation.created'; conversation: Conversation }
  | { type: 'conversation.updated'; conversation: Conversation }
  | { type: 'read'; conversationId: string; userId: string; seq: number }
  | { type: 'typing'; conversationId: string; userId: string; expiresInMs: number }
  /** The answer to a client's `ping` (an application-level liveness check for browsers). */
  | { type: 'pong' }
  /** A client frame the server could not use; the socket stays open. */
  | { type: 'error'; code: string; message: string }
  /**
   * The answer to the client's own `message.send`, on the socket that sent it: the message is
   * durably stored (`created: false` when the clientId had been used: the first message). That
   * socket gets no `message.created` for it; the sender's other sockets and the members' do.
   */
  | { type: 'message.sent'; conversationId: string; clientId: string; created: boolean; message: Message }
  /** A `message.send` that was refused: `status` and `error` as the HTTP send would answer. */
  | { type: 'message.failed'; conversationId: string; clientId: string; status: number; error: ErrorBody['error'] }
  /**
   * Between nodes only, never sent to a client: sessions of the listed users ended (all of them,
   * or just `sessionIds`); every gateway closes the matching sockets with 4001 at once.
   */
  | { type: 'session.ended'; sessionIds?: string[] };

/**
 * Client → server WebSocket messages (text frames of JSON, at most 128 KiB). `message.send` is
 * `POST /api/v1/conversations/:id/messages` over the socket (same rules, limits and idempotency
 * on clientId), answered by `message.sent` or `message.failed`; see `api.messages.sendFrame`.
 */
export type ClientEvent =
  | { type: 'typing'; conversationId: string }
  | { type: 'ping' }
  | { type: 'message.send'; conversationId: string; clientId: string; body: string; fileIds?: string[] };

export type ServerEventType = ServerEvent['type'];

/** Close codes the gateway uses besides the standard ones (1001 going away, 1008, 1009). */
export const WS_CLOSE = {
  /** The server is shutting down; reconnect to another node or later. */
  goingAway: 1001,
  /** Events may have been missed (the node's link to the other nodes was down): reconnect and catch up. */
  eventsMissed: 1012,
  /** Flooding or another policy violation. */
  policy: 1008,
  /** A frame past the 128 KiB limit. */
  tooLarge: 1009,
  /** The session ended (logout, deactivation, deletion): sign in again, do not reconnect. */
  sessionEnded: 4001,
} as const;

/** How long a `typing` indicator shows when no new one arrives. */
export const TYPING_EXPIRES_MS = 5000;
