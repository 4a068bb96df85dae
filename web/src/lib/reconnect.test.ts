import { describe, expect, it } from 'vitest';
import * as conversationsApi from '../../../src/shared/api/conversations.js';
import * as messagesApi from '../../../src/shared/api/messages.js';
import type { Conversation, Message } from '../../../src/shared/api/shapes.js';
import type { ParleyClient } from '../../../src/shared/client.js';
import type { ServerEvent } from '../../../src/shared/events.js';
import { RealtimeClient, type WebSocketConstructor } from '../../../src/shared/realtime-client.js';
import { ChatStore, type ChatApi } from './chat-store.js';
import { conversationFixture } from './test-fixtures.js';

/**
 * The chat store fed by the realtime client, wired as the app's shell wires them, against a fake
 * server: what the open chat shows after the socket comes back.
 */

const ME = 'u-me';

class FakeServer {
  messages: Message[] = [];
  lastChangeSeq = 0;
  /** Holds `changedAfter` answers until released (to act while a catch-up runs). */
  gate: Promise<void> | null = null;

  send(body: string): Message {
    const seq = this.messages.length + 1;
    const m: Message = { id: `m${seq}`, conversationId: 'c1', seq, clientId: `cl${seq}`, senderId: 'u-them', body, files: [], createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, seq)).toISOString(), changeSeq: 0 };
    this.messages.push(m);
    return m;
  }

  change(seq: number, patch: Partial<Message>): Message {
    const i = seq - 1;
    const m = { ...this.messages[i]!, ...patch, changeSeq: ++this.lastChangeSeq };
    this.messages[i] = m;
    return m;
  }

  edit = (seq: number, body: string) => this.change(seq, { body, editedAt: new Date(Date.UTC(2024, 1, 1, 0, 0, this.lastChangeSeq)).toISOString() });
  remove = (seq: number) => this.change(seq, { body: '', deletedAt: '2024-03-01T00:00:00.000Z' });

  conversation(): Conversation {
    return conversationFixture(ME, { lastSeq: this.messages.length, lastChangeSeq: this.lastChangeSeq, lastReadSeq: this.messages.length });
  }

  async list(q: { after?: number; before?: number; changedAfter?: number; limit?: number }): Promise<{ items: Message[]; next?: string }> {
    const limit = q.limit ?? 50;
    if (q.changedAfter !== undefined) {
      const items = this.messages.filter((m) => m.changeSeq > q.changedAfter!).sort((a, b) => a.changeSeq - b.changeSeq);
      // Answered as the server saw it when asked, however late the answer arrives.
      await this.gate;
      return items.length > limit ? { items: items.slice(0, limit), next: String(items[limit - 1]!.changeSeq) } : { items };
    }
    if (q.after !== undefined) return { items: this.messages.filter((m) => m.seq > q.after!).slice(0, limit) };
    const below = this.messages.filter((m) => q.before === undefined || m.seq < q.before);
    return { items: below.slice(Math.max(0, below.length - limit)) };
  }

  /** The two parts of the app that talk to it: the typed client and the store's ChatApi. */
  client(): ParleyClient {
    const call = async (route: unknown, input?: { query?: Record<string, number> }) => {
      if (route === conversationsApi.list) return { items: [this.conversation()] };
      if (route === messagesApi.list) return this.list(input?.query ?? {});
      throw new Error('not faked');
    };
    return { baseUrl: 'http://parley.test', token: 't', call } as unknown as ParleyClient;
  }

  chatApi(): ChatApi {
    return {
      listConversations: async () => [this.conversation()],
      getConversation: async () => this.conversation(),
      messages: async (_id, q) => (await this.list(q)).items,
    };
  }
}

/** A socket that says hello when opened; `drop()` loses the connection. */
class FakeSocket {
  static open: FakeSocket[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.open.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.emit({ type: 'hello', userId: ME, connectionId: `conn${FakeSocket.open.length}` });
    }, 0);
  }

  send(): void {}

  emit(ev: ServerEvent): void {
    this.onmessage?.({ data: JSON.stringify(ev) });
  }

  close(): void {
    this.drop(1000);
  }

  drop(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 3000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function connected(server: FakeServer) {
  FakeSocket.open = [];
  const store = new ChatStore(ME, server.chatApi());
  const events: ServerEvent[] = [];
  let lists = 0;
  const client = server.client();
  const call = client.call.bind(client);
  client.call = ((route: unknown, ...rest: unknown[]) => {
    if (route === conversationsApi.list) lists++;
    return (call as (...a: unknown[]) => unknown)(route, ...rest);
  }) as typeof client.call;
  const rt = new RealtimeClient({
    api: client,
    WebSocket: FakeSocket as unknown as WebSocketConstructor,
    syncConversations: true,
    minBackoffMs: 1,
    maxBackoffMs: 2,
    onEvent: (ev) => {
      events.push(ev);
      store.applyEvent(ev);
    },
  });
  rt.connect();
  await store.loadConversations();
  await store.openThread('c1');
  await until(() => rt.isOpen && lists === 1, 'the first connection and its chat list');
  await new Promise((r) => setTimeout(r, 5));
  const socket = () => FakeSocket.open[FakeSocket.open.length - 1]!;
  const bodies = () => store.thread('c1').messages.map((m) => (m.deletedAt ? '(deleted)' : m.body));
  const changes = () => events.flatMap((e) => (e.type === 'message.updated' || e.type === 'message.deleted' ? [e.message.changeSeq] : []));
  return { store, rt, socket, bodies, changes };
}

describe('an open chat across a reconnect', () => {
  it('shows the edits and deletions made while the socket was down', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 3; i++) server.send(`hello ${i}`);
    const { rt, socket, bodies } = await connected(server);
    expect(bodies()).toEqual(['hello 1', 'hello 2', 'hello 3']);

    socket().drop();
    server.edit(1, 'hello 1, edited');
    server.remove(2);
    server.send('hello 4');
    await until(() => bodies().length === 4 && bodies()[0] !== 'hello 1' && bodies()[1] === '(deleted)', 'the caught-up chat');
    expect(bodies()).toEqual(['hello 1, edited', '(deleted)', 'hello 3', 'hello 4']);
    rt.close();
  });

  it('holds live changes that arrive during the catch-up until the ones missed are delivered', async () => {
    const server = new FakeServer();
    for (let i = 1; i <= 2; i++) server.send(`hello ${i}`);
    const { rt, socket, bodies, changes } = await connected(server);

    socket().drop();
    server.edit(1, 'missed edit');
    let release!: () => void;
    server.gate = new Promise<void>((r) => (release = r));
    await until(() => rt.isOpen, 'the reconnection');
    // While the missed change is being fetched, a newer one of the same message arrives live.
    const live = server.edit(1, 'live edit');
    socket().emit({ type: 'message.updated', conversationId: 'c1', message: live });
    await new Promise((r) => setTimeout(r, 10));
    expect(changes()).toEqual([]);
    release();
    await until(() => changes().length === 2, 'both changes');
    expect(changes()).toEqual([1, 2]);
    expect(bodies()).toEqual(['live edit', 'hello 2']);
    rt.close();
  });
});
