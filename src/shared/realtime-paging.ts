import * as conversationsApi from './api/conversations.js';
import * as messagesApi from './api/messages.js';
import type { Conversation, Message } from './api/shapes.js';
import type { ParleyClient } from './client.js';

/** Page size of the realtime client's catch-up reads. */
const PAGE = 100;

/** Every message of a conversation after `lastSeq`, oldest first, fetched page by page. */
export async function messagesAfter(api: ParleyClient, conversationId: string, lastSeq: number): Promise<Message[]> {
  const out: Message[] = [];
  let after = lastSeq;
  for (;;) {
    const page = await api.call(messagesApi.list, { params: { id: conversationId }, query: { after, limit: PAGE } });
    out.push(...page.items);
    const last = page.items[page.items.length - 1];
    if (!last || page.items.length < PAGE) return out;
    after = last.seq;
  }
}

/**
 * Every message of a conversation edited or deleted after change `lastChangeSeq`, in its current
 * state, by ascending `changeSeq`, fetched page by page.
 */
export async function changesAfter(api: ParleyClient, conversationId: string, lastChangeSeq: number): Promise<Message[]> {
  const out: Message[] = [];
  let changedAfter = lastChangeSeq;
  for (;;) {
    const page = await api.call(messagesApi.list, { params: { id: conversationId }, query: { changedAfter, limit: PAGE } });
    // A server that does not number changes ignores `changedAfter` and answers history.
    if (page.items.some((m) => typeof m.changeSeq !== 'number')) return out;
    out.push(...page.items);
    const next = Number(page.next);
    if (page.next === undefined || !(next > changedAfter)) return out;
    changedAfter = next;
  }
}

/** Every chat of the user, page after page. */
export async function everyConversation(api: ParleyClient): Promise<Conversation[]> {
  const out: Conversation[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call(conversationsApi.list, { query: cursor ? { limit: PAGE, cursor } : { limit: PAGE } });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}
