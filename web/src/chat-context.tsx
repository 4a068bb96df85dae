import { createContext, useContext, useSyncExternalStore } from 'react';
import type { ChatStore } from './lib/chat-store.js';
import type { RealtimeStatus } from './lib/realtime.js';
import type { TypingThrottle } from './lib/typing.js';

export interface Chats {
  store: ChatStore;
  typing: TypingThrottle;
  status: RealtimeStatus;
  /** Opens (or starts) the direct chat with an email and shows it. */
  openByEmail(email: string, invite?: boolean): Promise<void>;
  openNewChat(prefill?: string): void;
}

export const ChatsContext = createContext<Chats | null>(null);

export function useChats(): Chats {
  const c = useContext(ChatsContext);
  if (!c) throw new Error('useChats outside the shell');
  // Re-render whenever the store changes.
  useSyncExternalStore(c.store.subscribe, c.store.getVersion);
  return c;
}
