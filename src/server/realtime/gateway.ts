import { randomBytes } from 'node:crypto';
import type { RawData, WebSocket } from 'ws';
import { Id } from '../../shared/api/common.js';
import { TYPING_EXPIRES_MS, WS_CLOSE, type ServerEvent } from '../../shared/events.js';
import { findSession, liveSessionIds, type AuthInfo } from '../accounts/sessions.js';
import type { AppContext } from '../context.js';
import { parseClientJson } from '../http/client-json.js';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/errors.js';
import { AppError } from '../http/errors.js';
import { defaultGatewayOptions, type GatewayOptions } from './options.js';
import { RevocationWatch } from './revocations.js';
import { Conn, TypingEntry, type RequestTurn } from './conn.js';
import { typingTarget } from './store.js';

/** A typing indicator is published at most once per connection and conversation per 2 s. */
const TYPING_THROTTLE_MS = 2000;
/** Membership answers are cached per connection this long (a removed member stops soon). */
const MEMBERSHIP_TTL_MS = 30_000;
const MAX_TYPING_ENTRIES = 64;
/** A reader this far behind is dropped; it reconnects and catches up by `seq`. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_SOCKETS_PER_USER = 100;

const PONG = JSON.stringify({ type: 'pong' } satisfies ServerEvent);

/**
 * A client frame that is a request (`message.send`): the handler authorizes and answers with the
 * one event the requesting socket gets back. `connectionId` is that socket, for `skipConnection`.
 */
export type FrameHandler = (auth: AuthInfo, connectionId: string, frame: Record<string, unknown>, turn: RequestTurn) => Promise<ServerEvent>;

const kConn = Symbol('parley.conn');
type TaggedSocket = WebSocket & { [kConn]?: Conn };

// Listeners shared by every socket: `this` is the socket, its Conn hangs off it.
function onSocketMessage(this: TaggedSocket, data: RawData, isBinary: boolean): void {
  const c = this[kConn];
  if (c) c.gw.onFrame(c, data, isBinary);
}
function onSocketPong(this: TaggedSocket): void {
  const c = this[kConn];
  if (c) c.alive = true;
}
function onSocketClose(this: TaggedSocket): void {
  const c = this[kConn];
  if (c) c.gw.detach(c);
}

/**
 * The WebSocket gateway of one node: delivers bus events to the sockets of the users they
 * name, answers client frames (typing, ping), and drops dead or signed-out sockets.
 */
export class Gateway {
  private readonly byUser = new Map<string, Set<Conn>>();
  private readonly all = new Set<Conn>();
  private timer: NodeJS.Timeout | null = null;
  private gapTimer: NodeJS.Timeout | null = null;
  /** Sessions revoked where the bus did not carry it (see revocations.ts). */
  readonly revocations: RevocationWatch;
  private unsubscribes: (() => void)[] = [];
  private roundRunning: Promise<void> | null = null;
  /**
   * Conversations whose membership changed recently, with a version a typing entry compares
   * with the one it was checked at. Entries older than MEMBERSHIP_TTL_MS are pruned: every
   * typing answer cached before then has expired anyway.
   */
  private readonly membershipVersions = new Map<string, { version: number; at: number }>();
  private versionCounter = 0;
  private readonly handlers = new Map<string, FrameHandler>();

  constructor(
    private readonly ctx: AppContext,
    readonly options: GatewayOptions = defaultGatewayOptions(),
  ) {
    this.revocations = new RevocationWatch(ctx, options.revocationPollMs, (ids) => this.closeSessions(ids));
  }

  start(): void {
    const unsubscribe = this.ctx.events.subscribe((userIds, event, json, options) => {
      if (event.type === 'session.ended') return this.endSessions(userIds, event.sessionIds);
      // Membership may have changed: typing answers cached for this chat are stale now, so a
      // removed member neither sends nor sees typing from this moment on.
      if (event.type === 'conversation.updated' || event.type === 'conversation.created') this.membershipChanged(event.conversation.id);
      this.deliver(userIds, json, options.skipConnection);
    });
    // Events went by while this node was cut off from the others: its clients reconnect and
    // catch up from the database, as after any reconnect, rather than wait silently.
    const unsubscribeGap = this.ctx.events.onGap(() => this.closeAfterGap());
    this.unsubscribes = [unsubscribe, unsubscribeGap];
    this.timer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.timer.unref();
    this.revocations.start();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = null;
    this.revocations.stop();
    for (const u of this.unsubscribes) u();
    this.unsubscribes = [];
    for (const c of this.all) c.ws.terminate();
  }

  /**
   * Asks the sockets open when events may have been missed to reconnect, a slice every 100 ms
   * (`gapCloseRate` a second). All at once, every client of a busy node would be back within
   * its first retry (under half a second), each reading its catch-up from the database at the
   * same moment. A socket opened since needs nothing: it hears everything from now on.
   */
  private closeAfterGap(): void {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    const waiting = [...this.all];
    const slice = Math.max(1, Math.round(this.options.gapCloseRate / 10));
    const step = () => {
      this.gapTimer = null;
      for (const c of waiting.splice(0, slice)) c.ws.close(WS_CLOSE.eventsMissed, 'events may have been missed; reconnect');
      if (waiting.length > 0) this.gapTimer = setTimeout(step, 100);
    };
    step();
  }

  get size(): number {
    return this.all.size;
  }

  /** Answers client frames of `type` (requests over the socket) with `handler`. */
  handle(type: string, handler: FrameHandler): void {
    this.handlers.set(type, handler);
  }

  /**
   * Whether a member may be shown typing in a chat: exactly when they could send it a message
   * now (a declined or blocked chat, one that policy made read-only, a request not theirs to
   * write in: no). Given by the conversations domain (`registerRealtimeRoutes` always sets it);
   * checked with membership, on the same schedule.
   */
  mayType: ((conversationId: string, userId: string) => Promise<boolean>) | null = null;

  attach(ws: WebSocket, auth: AuthInfo, token: string): void {
    const userId = auth.user.id;
    let set = this.byUser.get(userId);
    if (set && set.size >= MAX_SOCKETS_PER_USER) {
      ws.close(WS_CLOSE.policy, 'too many connections');
      return;
    }
    const c = new Conn(randomBytes(9).toString('base64url'), userId, auth.sessionId, token, ws, this);
    (ws as TaggedSocket)[kConn] = c;
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(c);
    this.all.add(c);
    this.ctx.metrics.websockets.inc();
    ws.send(JSON.stringify({ type: 'hello', userId, connectionId: c.id, heartbeatMs: this.options.heartbeatMs } satisfies ServerEvent));
  }

  /**
   * Closes (4001) the sockets of ended sessions right away rather than at the next heartbeat
   * round, so a deactivated or deleted user, or a signed-out device, hears nothing more.
   */
  endSessions(userIds: readonly string[], sessionIds?: readonly string[]): void {
    const only = sessionIds ? new Set(sessionIds) : null;
    for (const uid of userIds) {
      for (const c of this.byUser.get(uid) ?? []) {
        if (only && !only.has(c.sessionId)) continue;
        this.endConnection(c);
      }
    }
  }

  /**
   * Closes a socket whose session ended (4001). Detached now: close() waits for the peer, and no
   * event may reach it meanwhile.
   */
  private endConnection(c: Conn): void {
    this.detach(c);
    c.ws.close(WS_CLOSE.sessionEnded, 'session ended');
  }

  private membershipChanged(conversationId: string): void {
    this.membershipVersions.set(conversationId, { version: ++this.versionCounter, at: Date.now() });
  }

  /** Cuts every socket of a user at once (tests; an operator's emergency stop). */
  disconnectUser(userId: string): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    for (const c of set) c.ws.terminate();
    return set.size;
  }

  detach(c: Conn): void {
    if (!this.all.delete(c)) return;
    const set = this.byUser.get(c.userId);
    if (set) {
      set.delete(c);
      if (set.size === 0) this.byUser.delete(c.userId);
    }
    c.typing = null;
    this.ctx.metrics.websockets.dec();
  }

  /**
   * Sends one event, serialized once by the bus, to every open socket of every listed user
   * (but `skip`, a socket that has its own answer).
   */
  deliver(userIds: readonly string[], json: string, skip?: string): void {
    let buf: Buffer | null = null;
    for (const uid of userIds) {
      const set = this.byUser.get(uid);
      if (!set) continue;
      // Encoded once, then shared by every socket (ws would otherwise encode per send).
      buf ??= Buffer.from(json, 'utf8');
      for (const c of set) if (c.id !== skip) this.sendRaw(c, buf);
    }
  }

  private sendRaw(c: Conn, data: Buffer | string): void {
    const ws = c.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      ws.terminate();
      return;
    }
    ws.send(data, { binary: false });
  }

  private sendError(c: Conn, code: string, message: string): void {
    this.sendRaw(c, JSON.stringify({ type: 'error', code, message } satisfies ServerEvent));
  }

  /**
   * One heartbeat round: sockets that missed the previous ping are terminated, the others are
   * pinged, and every socket whose session no longer authenticates is closed with 4001.
   */
  heartbeat(): Promise<void> {
    // A slow database must not stack rounds on top of each other.
    this.roundRunning ??= this.runRound().finally(() => (this.roundRunning = null));
    return this.roundRunning;
  }

  /** Closes (4001) the sockets of these sessions, at once. */
  private closeSessions(sessionIds: ReadonlySet<string>): void {
    for (const c of this.all) if (sessionIds.has(c.sessionId)) this.endConnection(c);
  }

  private async runRound(): Promise<void> {
    const cutoff = Date.now() - MEMBERSHIP_TTL_MS;
    for (const [id, v] of this.membershipVersions) if (v.at < cutoff) this.membershipVersions.delete(id);
    const sessions = new Set<string>();
    for (const c of this.all) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
        continue;
      }
      sessions.add(c.sessionId);
    }
    if (sessions.size === 0) return;
    let live: Set<string>;
    try {
      live = await liveSessionIds(this.ctx.db, [...sessions]);
    } catch (err) {
      this.ctx.log.warn({ err }, 'realtime: session re-check failed; will retry next round');
      return;
    }
    for (const c of this.all) {
      if (sessions.has(c.sessionId) && !live.has(c.sessionId)) this.endConnection(c);
    }
  }

  onFrame(c: Conn, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.admit(c) ? this.sendError(c, 'unsupported_frame', 'Send JSON in text frames') : undefined;
    let msg: unknown;
    try {
      msg = parseClientJson(data.toString());
    } catch {
      return this.admit(c) ? this.sendError(c, 'invalid_json', 'The frame is not valid JSON') : undefined;
    }
    const type = msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as { type?: unknown }).type : undefined;
    const handler = typeof type === 'string' ? this.handlers.get(type) : undefined;
    if (handler) return this.request(c, handler, msg as Record<string, unknown>);
    if (!this.admit(c)) return;
    if (typeof type !== 'string') return this.sendError(c, 'invalid_frame', 'A frame is a JSON object with a "type"');
    switch (type) {
      case 'ping':
        return this.sendRaw(c, PONG);
      case 'typing': {
        const conversationId = (msg as { conversationId?: unknown }).conversationId;
        if (typeof conversationId !== 'string' || !Id.safeParse(conversationId).success) {
          return this.sendError(c, 'invalid_frame', 'typing needs a conversationId');
        }
        this.typing(c, conversationId).catch((err: unknown) => {
          this.ctx.log.warn({ err }, 'realtime: typing failed');
          this.sendError(c, 'internal_error', 'Could not send the typing indicator');
        });
        return;
      }
      default:
        return this.sendError(c, 'unknown_type', `Unknown frame type "${type.slice(0, 40)}"`);
    }
  }

  /**
   * A request frame: authenticated again by the socket's session (cached per node like every
   * request's), then answered on this socket by the handler's event. A socket whose session
   * ended is closed instead (4001), as the heartbeat would.
   */
  private request(c: Conn, handler: FrameHandler, frame: Record<string, unknown>): void {
    if (!c.admitRequest()) {
      const retryAfter = 1;
      return this.sendRaw(c, JSON.stringify(failedAnswer(frame, new AppError(429, 'rate_limited', 'Too many requests on this connection; wait a moment', { retryAfter }))));
    }
    const turn = c.nextTurn();
    void (async () => {
      let answer: ServerEvent;
      try {
        const auth = await findSession(this.ctx.db, c.token);
        if (!auth || auth.sessionId !== c.sessionId) return this.endConnection(c);
        answer = await handler(auth, c.id, frame, turn);
      } catch (err) {
        const known = err instanceof AppError ? err : isDatabaseUnavailable(err) ? databaseUnavailable() : null;
        if (!(err instanceof AppError)) this.ctx.log.error({ err }, 'realtime: request frame failed');
        answer = failedAnswer(frame, known ?? new AppError(500, 'internal_error', 'Something went wrong on the server; please try again'));
      }
      this.sendRaw(c, JSON.stringify(answer));
    })().finally(() => turn.done());
  }

  /** The flood gate: false when the frame is dropped (and the socket closed when it persists). */
  private admit(c: Conn): boolean {
    if (c.admitFrame()) return true;
    if (c.flooding && c.ws.readyState === c.ws.OPEN) c.ws.close(WS_CLOSE.policy, 'too many frames');
    return false;
  }

  private async typing(c: Conn, conversationId: string): Promise<void> {
    const map = (c.typing ??= new Map());
    let e = map.get(conversationId);
    if (!e) {
      if (map.size >= MAX_TYPING_ENTRIES) map.delete(map.keys().next().value!);
      e = new TypingEntry();
      map.set(conversationId, e);
    }
    if (Date.now() - e.sentAt < TYPING_THROTTLE_MS) return;
    const version = this.membershipVersions.get(conversationId)?.version ?? 0;
    if (Date.now() - e.checkedAt > MEMBERSHIP_TTL_MS || e.version !== version) {
      const entry = e;
      entry.checking ??= typingTarget(this.ctx.db, conversationId, c.userId)
        .then(async (t) => {
          entry.member = t.member;
          entry.others = t.others;
          entry.writable = t.member && (this.mayType ? await this.mayType(conversationId, c.userId) : true);
          entry.checkedAt = Date.now();
          entry.version = version;
        })
        .finally(() => (entry.checking = null));
      await entry.checking;
    }
    if (!e.member) return this.sendError(c, 'not_found', 'Conversation was not found');
    if (!e.writable || e.others.length === 0) return;
    // Re-checked after the await: frames that raced the membership query must not all publish.
    const now = Date.now();
    if (now - e.sentAt < TYPING_THROTTLE_MS) return;
    e.sentAt = now;
    this.ctx.events.publish(e.others, { type: 'typing', conversationId, userId: c.userId, expiresInMs: TYPING_EXPIRES_MS });
  }
}

/** `message.failed` for a request frame, echoing what identifies it (when it is text). */
function failedAnswer(frame: Record<string, unknown>, err: AppError): ServerEvent {
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : '');
  return { type: 'message.failed', conversationId: text(frame.conversationId), clientId: text(frame.clientId), status: err.status, error: err.toBody().error };
}
