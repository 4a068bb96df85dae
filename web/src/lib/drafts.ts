import type { FileInfo } from '../../../src/shared/api/shapes.js';
import type { PendingMessage } from './messages.js';

/**
 * What was typed in a chat and not sent yet, per chat, the files picked for it, and the
 * messages sent but not yet acknowledged: kept while the user looks at other chats, and across a
 * reload of the tab (sessionStorage is the tab's own). Storage may be unavailable (private
 * modes, quotas): they are then kept only while the page is open.
 *
 * Every key carries the signed-in user's id: on a shared computer the next person to sign in
 * in the same tab must neither see someone else's draft nor send their unsent messages under
 * their own name. Signing out forgets them all.
 */
type Kind = 'draft' | 'unsent' | 'files';
const PREFIX = 'parley:';
const key = (kind: Kind, owner: string, conversationId: string) => `${PREFIX}${kind}:${owner}:${conversationId}`;

type Reader = Pick<Storage, 'getItem'> | undefined;
type Writer = Pick<Storage, 'setItem' | 'removeItem'> | undefined;

function read(storage: Reader, k: string): string | null {
  try {
    return storage?.getItem(k) ?? null;
  } catch {
    return null;
  }
}

function write(storage: Writer, k: string, value: string | null): void {
  try {
    if (value === null) storage?.removeItem(k);
    else storage?.setItem(k, value);
  } catch {
    // Full or refused: it stays on this page only.
  }
}

function readList<T>(storage: Reader, k: string, valid: (v: T) => boolean): T[] {
  try {
    const parsed: unknown = JSON.parse(read(storage, k) ?? '[]');
    return Array.isArray(parsed) ? (parsed as T[]).filter((v) => v !== null && typeof v === 'object' && valid(v)) : [];
  } catch {
    return [];
  }
}

export function loadDraft(owner: string, conversationId: string, storage: Reader = sessionStorageOrNone()): string {
  return read(storage, key('draft', owner, conversationId)) ?? '';
}

export function saveDraft(owner: string, conversationId: string, text: string, storage: Writer = sessionStorageOrNone()): void {
  write(storage, key('draft', owner, conversationId), text || null);
}

/** A message sent but not acknowledged yet, with the files it carries. */
export interface Unsent {
  pending: PendingMessage;
  files: FileInfo[];
}

export function loadUnsent(owner: string, conversationId: string, storage: Reader = sessionStorageOrNone()): Unsent[] {
  return readList<Unsent>(storage, key('unsent', owner, conversationId), (u) => typeof u.pending?.clientId === 'string' && typeof u.pending.body === 'string');
}

export function saveUnsent(owner: string, conversationId: string, list: readonly Unsent[], storage: Writer = sessionStorageOrNone()): void {
  write(storage, key('unsent', owner, conversationId), list.length > 0 ? JSON.stringify(list) : null);
}

/** Files uploaded for a chat's next message and not sent yet. */
export function loadDraftFiles(owner: string, conversationId: string, storage: Reader = sessionStorageOrNone()): FileInfo[] {
  return readList<FileInfo>(storage, key('files', owner, conversationId), (f) => typeof f.id === 'string' && typeof f.name === 'string' && typeof f.size === 'number');
}

export function saveDraftFiles(owner: string, conversationId: string, files: readonly FileInfo[], storage: Writer = sessionStorageOrNone()): void {
  write(storage, key('files', owner, conversationId), files.length > 0 ? JSON.stringify(files) : null);
}

/** Signing out: nothing typed, picked or left unsent in this tab outlives the session. */
export function forgetDrafts(storage: (Pick<Storage, 'key' | 'removeItem'> & { readonly length: number }) | undefined = sessionStorageOrNone()): void {
  try {
    if (!storage) return;
    const mine: string[] = [];
    for (let i = 0; i < storage.length; i++) {
      const k = storage.key(i);
      if (k?.startsWith(PREFIX)) mine.push(k);
    }
    for (const k of mine) storage.removeItem(k);
  } catch {
    // Storage refused: there was nothing kept in it either.
  }
}

function sessionStorageOrNone(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined;
  }
}
