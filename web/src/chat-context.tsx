import { createContext, useContext, useSyncExternalStore } from 'react';
import type { AttachmentDrafts } from './lib/attachments.js';
import type { ChatStore } from './lib/chat-store.js';
import type { Message } from '../../src/shared/api/shapes.js';
import type { RealtimeStatus } from '../../src/shared/realtime-client.js';

export interface Chats {
  store: ChatStore;
  /** Files picked for each chat's next message. */
  attachments: AttachmentDrafts;
  /** Tells the others I am typing (the realtime client sends at most one every 2 s). */
  sendTyping(conversationId: string): void;
  /**
   * Sends a message: on the open WebSocket when there is one, over HTTP otherwise, and over HTTP
   * again (same clientId, so never twice) when the socket drops before answering.
   */
  sendMessage(conversationId: string, input: { clientId: string; body: string; fileIds?: string[] }): Promise<Message>;
  status: RealtimeStatus;
  /** Opens (or starts) the direct chat with an email and shows it. */
  openByEmail(email: string, invite?: boolean): Promise<void>;
  openNewChat(prefill?: string): void;
  /** Opens the New group dialog. */
  openNewGroup(): void;
}

export const ChatsContext = createContext<Chats | null>(null);

export function useChats(): Chats {
  const c = useContext(ChatsContext);
  if (!c) throw new Error('useChats outside the shell');
  // Re-render whenever the store changes.
  useSyncExternalStore(c.store.subscribe, c.store.getVersion);
  return c;
}
