import type { AppContext } from '../context.js';
import { outsideWrites, WATCHED_CACHE_TTL_MS } from '../db/outside-writes.js';

/**
 * A node's memory of recent send targets: the membership row of (conversation, sender) and, in a
 * direct chat, the other person, as `checkSendTarget` loads them. A busy chat sends many messages
 * a second, and loading the same rows for each cost more than storing the message (on PostgreSQL,
 * a round trip per message); with this, a chat's rows are loaded about once per `ttlMs`.
 *
 * What makes it safe to answer from memory:
 * - Membership is checked again where it counts, in the message writer's transaction (a sender
 *   who is no longer a member gets 404 there), so a removed member can never post after the
 *   removal committed.
 * - Every change that publishes an event forgets what it touched, on every node (the bus reaches
 *   each node's handler): `conversation.created` / `conversation.updated` forget the chat (state,
 *   members, a pending chat becoming live), `session.ended` forgets each entry of the people it
 *   names (deactivated, deleted or signed out) as sender or as the other person, and any change
 *   of a person's status forgets them on the node that made it (`forgetSendTargetsOf`), so a
 *   reactivated person can be messaged at once there (other nodes: within `ttlMs`).
 * - The cross-org rules (stage, org policies, blocks, the request limit) are not cached here: the
 *   send check evaluates them on every message from their own sources.
 * - A change that publishes nothing (an operator's command in another process) is seen on SQLite
 *   within `OUTSIDE_CHECK_MS`, by the database's outside-write version (db/outside-writes.ts), and
 *   on PostgreSQL within `ttlMs`, as a session's revocation is by the session cache.
 */
export class SendTargetCache<T> {
  private readonly byConversation = new Map<string, Map<string, { value: T; otherId: string | null; at: number; version: number }>>();
  private size = 0;

  /**
   * `versionAt` answers the database's outside-write version (db/outside-writes.ts): an entry
   * remembered under another version is not answered.
   */
  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly versionAt: (now: number) => number = () => 0,
  ) {}

  /** The remembered value while it is younger than `ttlMs` and no outside write came after it. */
  get(conversationId: string, userId: string, now = Date.now()): T | undefined {
    const e = this.byConversation.get(conversationId)?.get(userId);
    return e && now - e.at < this.ttlMs && e.version === this.versionAt(now) ? e.value : undefined;
  }

  /**
   * Remembers a value just loaded, and answers the value to use. When the entry there (expired
   * or not) holds a value `same` as this one, that first value is kept and answered, its age
   * starting over: a busy chat's entry is reloaded every `ttlMs`, and storing each reload's fresh
   * objects would move a new copy of the whole cache into the old generation of the JavaScript
   * heap every `ttlMs` (objects that live that long survive the young collections), which is what
   * brings on full collections, and their pauses, under load. The fresh copy dies young instead.
   */
  set(conversationId: string, userId: string, value: T, otherId: string | null, now = Date.now(), same?: (kept: T, loaded: T) => boolean): T {
    const e = this.byConversation.get(conversationId)?.get(userId);
    const version = this.versionAt(now);
    if (e && e.otherId === otherId && same?.(e.value, value)) {
      e.at = now;
      e.version = version;
      return e.value;
    }
    // Past the bound everything goes (expired entries too): refilling costs one query per active
    // chat, and a bound this simple cannot be wrong.
    if (!e && this.size >= this.maxEntries) this.clear();
    let users = this.byConversation.get(conversationId);
    if (!users) this.byConversation.set(conversationId, (users = new Map()));
    if (!users.has(userId)) this.size++;
    users.set(userId, { value, otherId, at: now, version });
    return value;
  }

  forgetConversation(conversationId: string): void {
    const users = this.byConversation.get(conversationId);
    if (!users) return;
    this.size -= users.size;
    this.byConversation.delete(conversationId);
  }

  /** Forgets every entry where one of `userIds` is the sender or the other person. */
  forgetPeople(userIds: readonly string[]): void {
    const people = new Set(userIds);
    for (const [conversationId, users] of this.byConversation) {
      for (const [userId, e] of users) {
        if (!people.has(userId) && !(e.otherId !== null && people.has(e.otherId))) continue;
        users.delete(userId);
        this.size--;
      }
      if (users.size === 0) this.byConversation.delete(conversationId);
    }
  }

  clear(): void {
    this.byConversation.clear();
    this.size = 0;
  }

  get entries(): number {
    return this.size;
  }
}

/** Where outside writes are not watched (PostgreSQL); on SQLite, `WATCHED_CACHE_TTL_MS`. */
export const SEND_TARGET_TTL_MS = 2000;
const SEND_TARGET_MAX_ENTRIES = 50_000;

const caches = new WeakMap<AppContext, SendTargetCache<unknown>>();

/** The node's cache, made on first use and kept current by the node's event bus. */
export function sendTargetCache<T>(ctx: AppContext): SendTargetCache<T> {
  let c = caches.get(ctx);
  if (!c) {
    const watch = outsideWrites(ctx.db);
    const cache = watch
      ? new SendTargetCache<unknown>(WATCHED_CACHE_TTL_MS, SEND_TARGET_MAX_ENTRIES, (now) => watch.version(now))
      : new SendTargetCache<unknown>(SEND_TARGET_TTL_MS, SEND_TARGET_MAX_ENTRIES);
    const unsubscribe = ctx.events.subscribe((userIds, event) => {
      if (event.type === 'conversation.created' || event.type === 'conversation.updated') cache.forgetConversation(event.conversation.id);
      else if (event.type === 'session.ended') cache.forgetPeople(userIds);
    });
    ctx.lifecycle.onClose(async () => {
      unsubscribe();
      cache.clear();
    });
    caches.set(ctx, cache);
    c = cache;
  }
  return c as SendTargetCache<T>;
}

/** After a change to people (status, org) has committed: this node answers from fresh rows. */
export function forgetSendTargetsOf(ctx: AppContext, userIds: readonly string[]): void {
  caches.get(ctx)?.forgetPeople(userIds);
}
