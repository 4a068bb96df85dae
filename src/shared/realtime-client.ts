import * as authApi from './api/auth.js';
import type { Conversation, Message } from './api/shapes.js';
import { ApiError } from './client.js';
import { WS_CLOSE, type ClientEvent, type ServerEvent } from './events.js';
import { changesAfter, everyConversation, messagesAfter } from './realtime-paging.js';
import type { RealtimeOptions, WebSocketLike } from './realtime-types.js';
import { PendingSends, type SentAnswer } from './socket-sends.js';

export { SocketSendError, type SentAnswer } from './socket-sends.js';

export type { RealtimeOptions, RealtimeStatus, WebSocketConstructor, WebSocketLike } from './realtime-types.js';

type ChangeEvent = Extract<ServerEvent, { type: 'message.updated' | 'message.deleted' }>;
type MessageEvent = ChangeEvent | Extract<ServerEvent, { type: 'message.created' }>;

interface ConvState {
  /** Every message up to this seq has been delivered. */
  seen: number;
  /**
   * Every edit and deletion up to this change number has been delivered (a superseded change, by
   * the message's later state). Undefined until known: from the chat list, or the first change heard.
   */
  changes?: number;
  /** After a reconnect: the chat list's lastChangeSeq, so an unchanged chat costs no request. */
  changesListed?: number;
  filling: Promise<void> | null;
  refill: boolean;
  buffered: Extract<ServerEvent, { type: 'message.created' }>[];
  /** Edits and deletions held during a fill, or past a hole in the change numbers. */
  heldChanges?: ChangeEvent[];
}

const OPEN = 1;
/** A send on the socket not answered by then is sent again over HTTP (same clientId). */
const SEND_TIMEOUT_MS = 10_000;

/**
 * A typed, reconnecting client of `/api/v1/events`. `message.created` events are delivered in
 * `seq` order without gaps or duplicates per conversation: a gap (a reconnect, a dropped
 * socket) is filled from `GET …/messages?after=` before later events are passed on. Edits and
 * deletions (`message.updated`, `message.deleted`) likewise, by the conversation's change number
 * (`changeSeq`, which has no gaps): what was missed comes from `GET …/messages?changedAfter=`.
 */
export class RealtimeClient {
  private ws: WebSocketLike | null = null;
  private readonly convs = new Map<string, ConvState>();
  private attempt = 0;
  private connectedBefore = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private typingSentAt = new Map<string, number>();
  private readonly sends = new PendingSends(SEND_TIMEOUT_MS);
  /**
   * With `syncConversations`, while a chat list is read (at the start and after each reconnect):
   * the message events heard meanwhile. The first list is the baseline, so a message of a chat
   * not yet tracked must wait for it, or it would be taken for the first of a new chat and its
   * whole history fetched; after a reconnect, a chat made meanwhile is handed over in the list
   * before its messages, so a client can name its people.
   */
  private early: MessageEvent[] | null = null;
  /** A chat list has been read: a chat it did not have is new, and followed from its first message. */
  private listed = false;
  connectionId: string | null = null;

  constructor(private readonly opts: RealtimeOptions) {}

  /** The socket URL: the API's base URL (or this page's origin), with the token as `?token=` unless told otherwise. */
  socketUrl(): string {
    const base = this.opts.api.baseUrl || (typeof location !== 'undefined' ? location.origin : '');
    // Relative to the base, so a server behind a path (https://host/parley) keeps it.
    const url = new URL('api/v1/events', base.replace(/^http/, 'ws').replace(/\/*$/, '/'));
    if (this.opts.api.token && this.opts.tokenInUrl !== false) url.searchParams.set('token', this.opts.api.token);
    return url.toString();
  }

  connect(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes the socket for good (no reconnect). */
  close(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState <= OPEN) ws.close(1000, 'bye');
    this.sends.failAll('the connection was closed');
    this.opts.onStatus?.('closed');
  }

  get isOpen(): boolean {
    return this.ws?.readyState === OPEN && this.connectionId !== null;
  }

  /** Sends a client frame; false when the socket is not open (frames are not queued). */
  send(event: ClientEvent): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(event));
    return true;
  }

  /**
   * Sends a message on the open socket (`message.send`): the same send as the HTTP endpoint
   * without a request per message. Resolves with the server's answer; rejects with its ApiError
   * when refused, or with a SocketSendError when the socket could not carry it (send it again
   * over HTTP then). Null when the socket is not open, or this clientId is already on its way:
   * use HTTP. The sent message is also delivered to `onEvent` as `message.created`, in seq order
   * like any other (the server sends this socket no `message.created` of its own for it).
   */
  sendMessage(conversationId: string, input: { clientId: string; body: string; fileIds?: string[] }): Promise<SentAnswer> | null {
    if (!this.isOpen || this.sends.has(conversationId, input.clientId)) return null;
    const frame: ClientEvent = { type: 'message.send', conversationId, clientId: input.clientId, body: input.body };
    if (input.fileIds?.length) frame.fileIds = input.fileIds;
    return this.sends.start(conversationId, input.clientId, () => this.send(frame));
  }

  /** Tells the others you are typing; at most once per 2 s per conversation (the server's pace). */
  typing(conversationId: string): boolean {
    const now = Date.now();
    if (now - (this.typingSentAt.get(conversationId) ?? 0) < 2000) return false;
    if (!this.send({ type: 'typing', conversationId })) return false;
    this.typingSentAt.set(conversationId, now);
    return true;
  }

  /** Marks messages of a conversation up to `seq` as already shown. */
  track(conversationId: string, seq: number): void {
    const st = this.convs.get(conversationId);
    if (st) st.seen = Math.max(st.seen, seq);
    else this.convs.set(conversationId, { seen: seq, filling: null, refill: false, buffered: [] });
  }

  lastSeq(conversationId: string): number | undefined {
    return this.convs.get(conversationId)?.seen;
  }

  /**
   * Every message of a conversation edited or deleted after change `lastChangeSeq`, in its
   * current state, by ascending `changeSeq`, fetched page by page.
   */
  catchUpChanges(conversationId: string, lastChangeSeq: number): Promise<Message[]> {
    return changesAfter(this.opts.api, conversationId, lastChangeSeq);
  }

  /** Every message of a conversation after `lastSeq`, oldest first, fetched page by page. */
  catchUp(conversationId: string, lastSeq: number): Promise<Message[]> {
    return messagesAfter(this.opts.api, conversationId, lastSeq);
  }

  private open(): void {
    if (this.stopped) return;
    this.opts.onStatus?.(this.connectedBefore ? 'reconnecting' : 'connecting');
    let ws: WebSocketLike;
    try {
      ws = new this.opts.WebSocket(this.socketUrl());
    } catch (err) {
      this.opts.onError?.(err as Error);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onmessage = ((ev: { data: unknown }) => this.onFrame(ev.data)) as (ev: never) => void;
    ws.onclose = ((ev: { code: number; reason: string }) => {
      if (this.ws !== ws) return;
      this.ws = null;
      // No hello: the handshake itself was refused or failed (the browser's WebSocket does not
      // say why). A session that ended while the client was away is refused like this.
      const refused = this.connectionId === null;
      this.connectionId = null;
      // Whatever the closed socket carried is unknown: its senders go over HTTP (same clientId).
      this.sends.failAll('the connection was lost');
      if (this.stopped) return;
      if (ev.code === WS_CLOSE.sessionEnded) return this.ended(ev.code, ev.reason);
      if (!refused) return this.scheduleReconnect(ev.code, ev.reason);
      void this.sessionEnded().then((gone) => {
        if (this.stopped || this.ws) return;
        if (gone) this.ended(WS_CLOSE.sessionEnded, 'session ended');
        else this.scheduleReconnect(ev.code, ev.reason);
      });
    }) as (ev: never) => void;
    // A failed handshake (e.g. a 401) is followed by a close event; reconnecting happens there.
    ws.onerror = (() => undefined) as (ev: never) => void;
  }

  /** Signed out elsewhere: reconnecting with the same token cannot work. */
  private ended(code: number, reason: string): void {
    this.stopped = true;
    this.opts.onStatus?.('ended', { code, reason });
  }

  /** Asks the API whether the token still works (false as well when the server cannot be reached). */
  private async sessionEnded(): Promise<boolean> {
    try {
      await this.opts.api.call(authApi.me);
      return false;
    } catch (err) {
      return err instanceof ApiError && err.status === 401;
    }
  }

  private scheduleReconnect(code?: number, reason?: string): void {
    const min = this.opts.minBackoffMs ?? 500;
    const max = this.opts.maxBackoffMs ?? 15_000;
    const base = Math.min(max, min * 2 ** this.attempt);
    // Jitter spreads the reconnects of many clients after a node restarts.
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt++;
    this.opts.onStatus?.('reconnecting', { code, reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private onFrame(data: unknown): void {
    let event: ServerEvent;
    try {
      event = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerEvent;
    } catch {
      this.opts.onError?.(new Error('unparseable frame from the server'));
      return;
    }
    if (!event || typeof event !== 'object' || typeof event.type !== 'string') return;
    if (event.type === 'hello') {
      this.attempt = 0;
      this.connectionId = event.connectionId;
      const again = this.connectedBefore;
      this.connectedBefore = true;
      if (this.opts.syncConversations) this.early ??= [];
      this.opts.onStatus?.('open');
      this.opts.onEvent(event);
      void this.resync(again);
      return;
    }
    if (event.type === 'message.created') return this.onMessageEvent(event);
    if (event.type === 'message.sent') {
      this.sends.resolve(event.conversationId, event.clientId, { created: event.created, message: event.message });
      // This socket gets no message.created for its own send: the answer stands in for it.
      return this.onMessageEvent({ type: 'message.created', conversationId: event.conversationId, message: event.message });
    }
    if (event.type === 'message.failed') {
      return this.sends.reject(event.conversationId, event.clientId, new ApiError(event.status, { error: event.error }));
    }
    if (event.type === 'message.updated' || event.type === 'message.deleted') return this.onMessageEvent(event);
    this.opts.onEvent(event);
  }

  private onMessageEvent(event: MessageEvent): void {
    if (this.early) this.early.push(event);
    else if (event.type === 'message.created') this.onMessageCreated(event);
    else this.onMessageChanged(event);
  }

  /**
   * The first list counts the messages and changes heard on the socket while it was read, yet
   * they are news to the user: each chat's baseline is set back to just before the first of
   * them, so they are passed on, in order, with nothing before them replayed.
   */
  private rewindToEarly(): void {
    for (const e of this.early ?? []) {
      const st = this.convs.get(e.conversationId);
      if (!st) continue;
      if (e.type === 'message.created') st.seen = Math.min(st.seen, e.message.seq - 1);
      else if (typeof e.message.changeSeq === 'number' && e.message.changeSeq > 0 && st.changes !== undefined) {
        st.changes = Math.min(st.changes, e.message.changeSeq - 1);
      }
    }
  }

  /** Passes on the message events held until the first chat list (read, or failed to be read). */
  private releaseEarly(): void {
    const early = this.early;
    this.early = null;
    for (const e of early ?? []) this.onMessageEvent(e);
  }

  private async resync(reconnect: boolean): Promise<void> {
    try {
      if (this.opts.syncConversations) {
        const list = await this.allConversations();
        for (const c of list) {
          const known = this.convs.get(c.id);
          if (!reconnect || !known) {
            // A chat unknown after a reconnect appeared meanwhile: all of it is new. Its messages
            // are fetched after this list, so they show every change the list counts.
            this.track(c.id, reconnect ? 0 : c.lastSeq);
            const st = this.convs.get(c.id)!;
            st.changes = Math.max(st.changes ?? 0, c.lastChangeSeq ?? 0);
          } else {
            known.changesListed = c.lastChangeSeq;
          }
        }
        if (!reconnect) this.rewindToEarly();
        this.listed = true;
        this.opts.onConversations?.(list);
        this.releaseEarly();
      }
      if (reconnect) await Promise.all([...this.convs.keys()].map((id) => this.fill(id)));
    } catch (err) {
      this.opts.onError?.(err as Error);
    } finally {
      // Without a list, chats are followed from the first event heard, as without sync.
      this.releaseEarly();
    }
  }

  /**
   * Every chat of the user, page after page: a chat beyond the first page left untracked would
   * later be caught up from its first message, replaying its whole history.
   */
  allConversations(): Promise<Conversation[]> {
    return everyConversation(this.opts.api);
  }

  private onMessageCreated(event: Extract<ServerEvent, { type: 'message.created' }>): void {
    const id = event.conversationId;
    let st = this.convs.get(id);
    if (!st) {
      // Once a chat list was read, every chat present then is tracked, so this one is new: from seq 1.
      st = { seen: this.listed ? 0 : event.message.seq - 1, filling: null, refill: false, buffered: [] };
      this.convs.set(id, st);
    }
    const seq = event.message.seq;
    if (st.filling) {
      st.buffered.push(event);
      return;
    }
    if (seq <= st.seen) return;
    if (seq === st.seen + 1) {
      st.seen = seq;
      this.opts.onEvent(event);
      return;
    }
    st.buffered.push(event);
    void this.fill(id);
  }

  /**
   * Edits and deletions are passed on in change order, once: a change past a hole (missed while
   * away, or overtaken by a later one) is held until the hole is filled from the server.
   */
  private onMessageChanged(event: ChangeEvent): void {
    const st = this.convs.get(event.conversationId);
    const n = event.message.changeSeq;
    // A chat not followed, or a server without change numbers: passed on as it comes.
    if (!st || typeof n !== 'number' || n <= 0) return this.opts.onEvent(event);
    if (st.filling) {
      (st.heldChanges ??= []).push(event);
      return;
    }
    st.changes ??= n - 1;
    if (n <= st.changes) return;
    if (n === st.changes + 1) {
      st.changes = n;
      this.opts.onEvent(event);
      return;
    }
    (st.heldChanges ??= []).push(event);
    void this.fill(event.conversationId);
  }

  /**
   * Fetches what is missing after `seen`, then the changes after `changes`, delivers them, then
   * the live events held meanwhile.
   */
  private fill(conversationId: string): Promise<void> {
    const st = this.convs.get(conversationId);
    if (!st) return Promise.resolve();
    if (st.filling) {
      st.refill = true;
      return st.filling;
    }
    // The state (changeSeq) of each message delivered by this fill: a change it already shows is
    // not passed on again.
    const shown = new Map<string, number>();
    const deliver = (message: Message, markShown = true) => {
      if (message.seq <= st.seen) return;
      st.seen = message.seq;
      if (markShown) shown.set(message.id, message.changeSeq ?? 0);
      this.opts.onEvent({ type: 'message.created', conversationId, message });
    };
    const deliverChange = (message: Message) => {
      if (message.changeSeq <= (st.changes ?? 0)) return;
      st.changes = message.changeSeq;
      if ((shown.get(message.id) ?? -1) >= message.changeSeq) return;
      shown.set(message.id, message.changeSeq);
      this.opts.onEvent({ type: message.deletedAt ? 'message.deleted' : 'message.updated', conversationId, message });
    };
    let complete = false;
    st.filling = (async () => {
      try {
        do {
          st.refill = false;
          for (const m of await this.catchUp(conversationId, st.seen)) deliver(m);
          const listed = st.changesListed;
          st.changesListed = undefined;
          if (listed === undefined || st.changes === undefined || listed > st.changes) {
            const changed = await this.catchUpChanges(conversationId, st.changes ?? 0);
            // A message sent and changed after the fetch of new messages above: it is fetched
            // (and passed on) first, so no change ever comes before its message. Its change
            // still follows, as it would have live.
            if (changed.some((m) => m.seq > st.seen)) for (const m of await this.catchUp(conversationId, st.seen)) deliver(m, false);
            for (const m of changed) deliverChange(m);
            // Nothing changed yet: the count starts at 0.
            st.changes ??= 0;
          }
        } while (st.refill);
        complete = true;
      } catch (err) {
        this.opts.onError?.(err as Error);
      } finally {
        const held = st.buffered.sort((a, b) => a.message.seq - b.message.seq);
        st.buffered = [];
        const heldChanges = (st.heldChanges ?? []).sort((a, b) => a.message.changeSeq - b.message.changeSeq);
        st.heldChanges = [];
        st.filling = null;
        for (const e of held) deliver(e.message);
        for (const e of heldChanges) {
          const n = e.message.changeSeq;
          if (st.changes !== undefined && n <= st.changes) continue;
          if (st.changes === undefined || n === st.changes + 1) {
            st.changes = n;
            this.opts.onEvent(e);
          } else if (complete) {
            // Committed after the fetch, with an earlier change still on its way: fetch again.
            st.heldChanges.push(e);
          } else {
            // The server could not be asked: better late and out of order than lost.
            this.opts.onEvent(e);
          }
        }
        if (st.heldChanges.length > 0) void this.fill(conversationId);
      }
    })();
    return st.filling;
  }
}
