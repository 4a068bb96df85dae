import type { Conversation, Message } from '../../../src/shared/api/shapes.js';
import type { ServerEvent } from '../../../src/shared/events.js';
import { conversationTitle, isMember, sortConversations } from './conversations.js';
import { contiguousSeq, dropAcknowledged, firstSeq, lastSeq, mergeBySeq, type PendingMessage } from './messages.js';

/** What the store needs from the server; the app passes the typed client, tests a fake. */
export interface ChatApi {
  listConversations(): Promise<Conversation[]>;
  getConversation(id: string): Promise<Conversation>;
  messages(id: string, q: { before?: number; after?: number; limit: number }): Promise<Message[]>;
}

export interface Thread {
  messages: Message[];
  pending: PendingMessage[];
  loaded: boolean;
  /** Whether older messages than the first one held may exist. */
  hasOlder: boolean;
  loadingOlder: boolean;
}

export const PAGE = 50;
/** The most chats one list load fetches; a longer list is not known to be complete. */
export const LIST_CAP = 1000;

/** A chat I am no longer in: kept so an open view can say so instead of failing. */
export interface GoneChat {
  title: string;
  why: 'left' | 'removed';
}

function emptyThread(): Thread {
  return { messages: [], pending: [], loaded: false, hasOlder: true, loadingOlder: false };
}

/**
 * The client's view of chats and messages, fed by REST pages and WebSocket events. Components
 * subscribe and re-render on `version`; all merging rules live here so they can be tested.
 */
/**
 * A chat's copy from the server merged with the one held: an older copy (a slow list answer)
 * never undoes newer events. When the held copy has messages the server's does not count yet,
 * its unread count is the server's plus those newer messages, and never more than the held
 * count (what was read elsewhere meanwhile stays read).
 */
export function keepNewer(cur: Conversation, next: Conversation): Conversation {
  if (cur.lastSeq <= next.lastSeq) return next;
  const unreadCount = Math.max(next.unreadCount, Math.min(cur.unreadCount, next.unreadCount + (cur.lastSeq - next.lastSeq)));
  return { ...next, lastSeq: cur.lastSeq, lastMessage: cur.lastMessage, lastActivityAt: cur.lastActivityAt, unreadCount, lastReadSeq: Math.max(cur.lastReadSeq, next.lastReadSeq) };
}

export class ChatStore {
  version = 0;
  conversations = new Map<string, Conversation>();
  listLoaded = false;
  threads = new Map<string, Thread>();
  /** conversationId → userId → time their typing indicator ends. */
  typing = new Map<string, Map<string, number>>();
  /** conversationId → userId → the seq they have read (other members). */
  peerRead = new Map<string, Map<string, number>>();
  /** Chats I left or was removed from since the page loaded. */
  gone = new Map<string, GoneChat>();
  /** conversationId → a counter that moves whenever its set of files may have changed. */
  private fileEpochs = new Map<string, number>();
  /** Chats changed by events while a list answer was on its way (that answer may predate them). */
  private touched: Set<string> | null = null;
  private listeners = new Set<() => void>();
  private timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    readonly meId: string,
    private readonly api: ChatApi,
    private readonly now: () => number = Date.now,
  ) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
  }

  sortedConversations(): Conversation[] {
    return sortConversations([...this.conversations.values()]);
  }

  thread(id: string): Thread {
    return this.threads.get(id) ?? emptyThread();
  }

  private setThread(id: string, patch: Partial<Thread>): Thread {
    const next = { ...this.thread(id), ...patch };
    next.pending = dropAcknowledged(next.pending, next.messages);
    this.threads.set(id, next);
    return next;
  }

  upsertConversation(conv: Conversation): void {
    this.touched?.add(conv.id);
    // The server tells a removed member one last time, with a list that no longer has them.
    if (conv.kind === 'group' && !isMember(conv, this.meId)) {
      // The change is stored with its note: "I left" when the note says I did (in another tab).
      const note = conv.lastMessage?.system;
      this.forget(conv.id, note?.action === 'member_left' && note.actorId === this.meId ? 'left' : 'removed', conv);
      return;
    }
    this.gone.delete(conv.id);
    const cur = this.conversations.get(conv.id);
    this.conversations.set(conv.id, cur ? keepNewer(cur, conv) : conv);
    this.changed();
  }

  /**
   * Drops a chat I am no longer in (left, removed) and everything held for it. Leaving myself
   * stays "left" when the server's removal event follows.
   */
  forget(id: string, why: GoneChat['why'], conv: Conversation | undefined = this.conversations.get(id)): void {
    const prev = this.gone.get(id);
    const title = conv ? conversationTitle(conv, this.meId) : (prev?.title ?? 'This chat');
    this.gone.set(id, { title, why: prev?.why === 'left' ? 'left' : why });
    this.conversations.delete(id);
    this.threads.delete(id);
    this.typing.delete(id);
    this.peerRead.delete(id);
    this.changed();
  }

  fileEpoch(id: string): number {
    return this.fileEpochs.get(id) ?? 0;
  }

  private bumpFiles(id: string): void {
    this.fileEpochs.set(id, this.fileEpoch(id) + 1);
  }

  async loadConversations(): Promise<void> {
    const before = new Set(this.conversations.keys());
    const touched = new Set<string>();
    this.touched = touched;
    let list: Conversation[];
    try {
      list = await this.api.listConversations();
    } finally {
      if (this.touched === touched) this.touched = null;
    }
    // A full list without a chat held since before it was asked for: I lost it while away.
    if (list.length < LIST_CAP) {
      const listed = new Set(list.map((c) => c.id));
      for (const id of before) {
        const c = this.conversations.get(id);
        if (c && !listed.has(id) && !touched.has(id) && c.kind === 'group') this.forget(id, 'removed');
      }
    }
    for (const c of list) {
      const cur = this.conversations.get(c.id);
      this.conversations.set(c.id, cur ? keepNewer(cur, c) : c);
    }
    this.listLoaded = true;
    this.changed();
  }

  async ensureConversation(id: string): Promise<Conversation> {
    const cur = this.conversations.get(id);
    if (cur) return cur;
    const conv = await this.api.getConversation(id);
    this.upsertConversation(conv);
    return conv;
  }

  /** Loads the newest page of a chat once; later changes come from events and catch-up. */
  async openThread(id: string): Promise<void> {
    if (this.thread(id).loaded) return;
    const conv = await this.ensureConversation(id);
    const page = await this.api.messages(id, { before: conv.lastSeq + 1, limit: PAGE });
    const messages = mergeBySeq(this.thread(id).messages, page);
    this.setThread(id, { messages, loaded: true, hasOlder: page.length >= PAGE && firstSeq(messages) > 1 });
    this.changed();
    // Messages written while the page was on its way are fetched too.
    await this.catchUpThread(id);
  }

  async loadOlder(id: string): Promise<void> {
    const t = this.thread(id);
    if (!t.loaded || !t.hasOlder || t.loadingOlder) return;
    const before = firstSeq(t.messages);
    if (before <= 1) {
      this.setThread(id, { hasOlder: false });
      this.changed();
      return;
    }
    this.setThread(id, { loadingOlder: true });
    this.changed();
    try {
      const page = await this.api.messages(id, { before, limit: PAGE });
      const messages = mergeBySeq(this.thread(id).messages, page);
      this.setThread(id, { messages, hasOlder: page.length >= PAGE && firstSeq(messages) > 1, loadingOlder: false });
    } catch (err) {
      this.setThread(id, { loadingOlder: false });
      throw err;
    } finally {
      this.changed();
    }
  }

  /** Fetches everything above the last seq held, page by page (reconnects, missed events). */
  async catchUpThread(id: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      // From the end of the unbroken run: a live event may have landed beyond a hole.
      const after = contiguousSeq(this.thread(id).messages);
      const page = await this.api.messages(id, { after, limit: PAGE });
      if (page.length) {
        this.setThread(id, { messages: mergeBySeq(this.thread(id).messages, page) });
        this.noteNewest(id, page[page.length - 1]!);
        this.changed();
      }
      if (page.length < PAGE) return;
    }
  }

  /**
   * After a reconnect: the list again, then every open thread from its last seq. Edits and
   * deletions made meanwhile are not fetched here: the shell's realtime client replays them as
   * `message.updated` / `message.deleted` events (see `applyEvent`).
   */
  async catchUp(): Promise<void> {
    await this.loadConversations();
    const ids = [...this.threads.entries()].filter(([, t]) => t.loaded).map(([id]) => id);
    await Promise.all(ids.map((id) => this.catchUpThread(id)));
  }

  private noteNewest(id: string, m: Message): void {
    const conv = this.conversations.get(id);
    if (!conv || m.seq < conv.lastSeq) return;
    this.conversations.set(id, { ...conv, lastSeq: m.seq, lastMessage: m, lastActivityAt: m.createdAt });
  }

  addPending(id: string, p: PendingMessage): void {
    this.setThread(id, { pending: [...this.thread(id).pending, p] });
    this.changed();
  }

  failPending(id: string, clientId: string, error: string, retryable = false): void {
    this.setThread(id, { pending: this.thread(id).pending.map((p) => (p.clientId === clientId ? { ...p, failed: error, retryable } : p)) });
    this.changed();
  }

  removePending(id: string, clientId: string): void {
    this.setThread(id, { pending: this.thread(id).pending.filter((p) => p.clientId !== clientId) });
    this.changed();
  }

  /** The server's answer to a send/edit/delete, applied like an event so the UI need not wait. */
  applyMessage(m: Message, isNew: boolean): void {
    if (this.gone.has(m.conversationId)) return;
    const t = this.thread(m.conversationId);
    if ((isNew && m.files.length > 0) || m.deletedAt) this.bumpFiles(m.conversationId);
    // A live message beyond a hole (missed events): fetch what is in between.
    if (isNew && t.loaded && m.seq > lastSeq(t.messages) + 1) void this.catchUpThread(m.conversationId).catch(() => undefined);
    // A change of a message older than those held (e.g. replayed after a reconnect) waits until
    // they are scrolled back to, when it comes as it is then: inserting it would hide the messages
    // in between from `loadOlder`.
    const older = !isNew && t.messages.length > 0 && m.seq < firstSeq(t.messages);
    this.setThread(m.conversationId, { messages: (t.loaded || t.messages.length) && !older ? mergeBySeq(t.messages, [m]) : t.messages });
    const conv = this.conversations.get(m.conversationId);
    if (conv) {
      const isLast = m.seq >= conv.lastSeq;
      const grew = isNew && m.seq > conv.lastSeq;
      const next: Conversation = { ...conv };
      if (isLast) Object.assign(next, { lastSeq: m.seq, lastMessage: m, lastActivityAt: grew ? m.createdAt : conv.lastActivityAt });
      if (grew && m.senderId !== this.meId) next.unreadCount = conv.unreadCount + 1;
      if (grew && m.senderId === this.meId) Object.assign(next, { lastReadSeq: m.seq, unreadCount: 0 });
      // A change the chat's copy does not know yet (its change number is past the copy's): a
      // deletion of an unread message takes it off the unread count, as the server counts.
      if (!isNew && m.changeSeq > conv.lastChangeSeq) {
        next.lastChangeSeq = m.changeSeq;
        if (m.deletedAt && m.seq > conv.lastReadSeq && m.seq <= conv.lastSeq && m.senderId !== this.meId) next.unreadCount = Math.max(0, conv.unreadCount - 1);
      }
      this.conversations.set(conv.id, next);
    }
    if (isNew) this.typing.get(m.conversationId)?.delete(m.senderId);
    this.changed();
  }

  /** Moves my read cursor locally (the server confirms with a `read` event). */
  markReadLocal(id: string, seq: number): void {
    const conv = this.conversations.get(id);
    if (!conv || seq <= conv.lastReadSeq) return;
    this.conversations.set(id, { ...conv, lastReadSeq: seq, unreadCount: this.unreadAfter(id, conv, seq) });
    this.changed();
  }

  private unreadAfter(id: string, conv: Conversation, seq: number): number {
    if (seq >= conv.lastSeq) return 0;
    const t = this.thread(id);
    if (t.loaded && firstSeq(t.messages) <= seq + 1) {
      return t.messages.filter((m) => m.seq > seq && m.senderId !== this.meId && !m.deletedAt).length;
    }
    return Math.min(conv.unreadCount, conv.lastSeq - seq);
  }

  typingUsers(id: string): string[] {
    const map = this.typing.get(id);
    if (!map) return [];
    const now = this.now();
    return [...map.entries()].filter(([, until]) => until > now).map(([uid]) => uid);
  }

  applyEvent(ev: ServerEvent): void {
    switch (ev.type) {
      case 'message.created':
        this.applyMessage(ev.message, true);
        return;
      case 'message.updated':
      case 'message.deleted':
        this.applyMessage(ev.message, false);
        return;
      case 'conversation.created':
      case 'conversation.updated':
        this.upsertConversation(ev.conversation);
        return;
      case 'read': {
        if (ev.userId === this.meId) {
          const conv = this.conversations.get(ev.conversationId);
          if (conv && ev.seq >= conv.lastReadSeq) {
            this.conversations.set(conv.id, { ...conv, lastReadSeq: ev.seq, unreadCount: this.unreadAfter(conv.id, conv, ev.seq) });
          }
        } else {
          const map = this.peerRead.get(ev.conversationId) ?? new Map<string, number>();
          map.set(ev.userId, Math.max(map.get(ev.userId) ?? 0, ev.seq));
          this.peerRead.set(ev.conversationId, map);
        }
        this.changed();
        return;
      }
      case 'typing': {
        if (ev.userId === this.meId) return;
        const map = this.typing.get(ev.conversationId) ?? new Map<string, number>();
        const ms = Math.max(0, Math.min(ev.expiresInMs, 30_000));
        map.set(ev.userId, this.now() + ms);
        this.typing.set(ev.conversationId, map);
        this.changed();
        // Re-render when the indicator runs out.
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.changed();
        }, ms + 50);
        this.timers.add(timer);
        return;
      }
      default:
        return;
    }
  }

  /** The highest seq of mine the other members have all read (for the "Seen" marker). */
  /**
   * The seq every other current member has read up to: the higher of what the chat's copy says
   * (each participant's `lastReadSeq`) and the `read` events heard since. Someone known to have
   * read nothing counts as such, so a group's message is not "seen" because one of many read it.
   */
  seenByOthers(id: string): number {
    const conv = this.conversations.get(id);
    if (!conv) return 0;
    const heard = this.peerRead.get(id);
    const others = conv.participants.filter((p) => p.userId && p.userId !== this.meId && !p.pending);
    if (others.length === 0) return 0;
    return Math.min(...others.map((p) => Math.max(p.lastReadSeq ?? 0, heard?.get(p.userId!) ?? 0)));
  }
}
