import type { Conversation } from '../../../src/shared/api/shapes.js';
import { LIST_CAP, type ChatApi } from './chat-store.js';
import { api, client } from './client.js';

/** The store's view of the server, through the typed client. */
export const chatApi: ChatApi = {
  async listConversations() {
    const out: Conversation[] = [];
    let cursor: string | undefined;
    // A few pages cover any realistic list; older chats are reached by search.
    for (let i = 0; i < LIST_CAP / 100; i++) {
      const page = await client.call(api.conversations.list, { query: cursor ? { cursor, limit: 100 } : { limit: 100 } });
      out.push(...page.items);
      cursor = page.next;
      if (!cursor) break;
    }
    return out;
  },
  async getConversation(id) {
    return client.call(api.conversations.get, { params: { id } });
  },
  async messages(id, q) {
    return (await client.call(api.messages.list, { params: { id }, query: q })).items;
  },
};

/** "Start communicating": the live chat with that email, or a new one (design.md rule 3). */
export async function startDirect(email: string, invite = false): Promise<Conversation> {
  return client.call(api.conversations.startDirect, { body: invite ? { email, invite: true } : { email } });
}
