/**
 * What was typed in a chat and not sent yet, per chat: kept while the user looks at other chats,
 * and across a reload of the tab (sessionStorage is the tab's own). Storage may be unavailable
 * (private modes, quotas): a draft is then kept only while the chat is open.
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
