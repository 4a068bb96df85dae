import type { Conversation, Message } from './api/shapes.js';

/**
 * Server → client WebSocket events (design.md). Built by the same presenters as the REST
 * responses, so an event carries exactly what the matching GET would answer.
 */
export type ServerEvent =
  | { type: 'hello'; userId: string; connectionId: string }
  | { type: 'message.created'; conversationId: string; message: Message }
  | { type: 'message.updated'; conversationId: string; message: Message }
  | { type: 'message.deleted'; conversationId: string; message: Message }
  | { type: 'conversation.created'; conversation: Conversation }
  | { type: 'conversation.updated'; conversation: Conversation }
  | { type: 'read'; conversationId: string; userId: string; seq: number }
  | { type: 'typing'; conversationId: string; userId: string; expiresInMs: number }
  | { type: 'error'; code: string; message: string };

/** Client → server WebSocket messages. */
export type ClientEvent = { type: 'typing'; conversationId: string } | { type: 'ping' };

export type ServerEventType = ServerEvent['type'];
