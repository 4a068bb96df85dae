import type { FileInfo } from '../../../src/shared/api/shapes.js';
import type { PendingMessage } from './messages.js';

/**
 * What was typed in a chat and not sent yet, per chat, and the messages sent but not yet
 * acknowledged: kept while the user looks at other chats, and across a reload of the tab
 * (sessionStorage is the tab's own). Storage may be unavailable (private modes, quotas): they
 * are then kept only while the page is open.
 */
const key = (conversationId: string) => `parley:draft:${conversationId}`;

export function loadDraft(conversationId: string, storage: Pick<Storage, 'getItem'> | undefined = sessionStorageOrNone()): string {
  try {
    return storage?.getItem(key(conversationId)) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(conversationId: string, text: string, storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined = sessionStorageOrNone()): void {
  try {
    if (text) storage?.setItem(key(conversationId), text);
    else storage?.removeItem(key(conversationId));
  } catch {
    // Full or refused: the draft stays in the open composer only.
  }
}

function sessionStorageOrNone(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}

/** A message sent but not acknowledged yet, with the files it carries. */
export interface Unsent {
  pending: PendingMessage;
  files: FileInfo[];
}

const unsentKey = (conversationId: string) => `parley:unsent:${conversationId}`;

export function loadUnsent(conversationId: string, storage: Pick<Storage, 'getItem'> | undefined = sessionStorageOrNone()): Unsent[] {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(unsentKey(conversationId)) ?? '[]');
    return Array.isArray(parsed) ? (parsed as Unsent[]).filter((u) => typeof u?.pending?.clientId === 'string' && typeof u.pending.body === 'string') : [];
  } catch {
    return [];
  }
}

export function saveUnsent(conversationId: string, list: readonly Unsent[], storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined = sessionStorageOrNone()): void {
  try {
    if (list.length > 0) storage?.setItem(unsentKey(conversationId), JSON.stringify(list));
    else storage?.removeItem(unsentKey(conversationId));
  } catch {
    // Full or refused: unsent messages stay on this page only.
  }
}
