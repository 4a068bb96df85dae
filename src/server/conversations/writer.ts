import { sql } from 'kysely';
import type { FileInfo, Message } from '../../shared/api/shapes.js';
import type { AppContext } from '../context.js';
import { newId, nowIso } from '../db/util.js';
import { MESSAGES } from '../external/verdict.js';
import { AppError, badRequest, notFound, policyRefused } from '../http/errors.js';
import { linkAttachments, loadMessageFiles, unattachableFiles } from './attachments.js';
import { presentMessage } from './present.js';
import { openRequestSends, type MessageRow } from './store.js';
import { WalSync } from './wal-sync.js';
import { postgresOps, seqOf, sqliteControl, sqliteOps, type BatchOps, type PlannedRow } from './writer-ops.js';

/** One send, already authorized and validated by the service. */
export interface SendRequest {
  conversationId: string;
  senderId: string;
  clientId: string;
  body: string;
  fileIds: readonly string[];
  /** The socket that sent it over the WebSocket (answered there): it gets no message.created. */
  origin?: string;
  /**
   * The send check found the chat to be the sender's message request: while it still is one, at
   * most this many of their messages may be stored in it (counted again here, in the transaction
   * that stores, as membership is).
   */
  requestLimit?: number;
}

export interface SendResult {
  message: Message;
  /** False when the clientId had been used before: the first message is answered again. */
  created: boolean;
}

interface Pending {
  req: SendRequest;
  /** When it reached the writer (performance.now()), for the node's metrics. */
  at: number;
  resolve: (r: SendResult) => void;
  reject: (e: unknown) => void;
}

type Outcome = SendResult | AppError;

interface BatchResult {
  outcomes: Outcome[];
  /** Messages stored by this batch, with the members to tell. */
  created: { message: Message; memberIds: string[]; origin?: string }[];
}

const MAX_BATCH = 1000;

function keyOf(conversationId: string, senderId: string, clientId: string): string {
  return `${conversationId}\u0000${senderId}\u0000${clientId}`;
}

/**
 * Group commit of messages. Sends queue here and are stored many per transaction: when nothing
 * is in flight the queue is flushed at once (a lone message waits for no timer), and whatever
 * arrives while a transaction commits goes into the next one. Throughput then grows with load
 * at the cost of one commit (one fsync) per batch instead of per message.
 *
 * Inside a batch: the conversations are locked in id order (PostgreSQL, several nodes: no
 * deadlocks), clientIds already stored or repeated in the batch are answered with the first
 * message, seqs are taken by bumping each conversation's `last_seq` once, messages go in with
 * multi-row inserts, and each sender's read cursor moves to their own message. A sender who is
 * not a current member of the conversation at that moment gets 404, as the send check would
 * answer. Requests are answered and events published only after the commit.
 */
export class MessageWriter {
  private queue: Pending[] = [];
  private loop: Promise<void> | null = null;
  private closed = false;
  /** SQLite: the WAL flush that makes committed batches durable (see wal-sync.ts). */
  private readonly wal: WalSync | null;
  /** Batches committed and waiting for their flush. */
  private readonly flushing = new Set<Promise<void>>();

  constructor(private readonly ctx: AppContext) {
    const m = ctx.metrics;
    this.wal = ctx.dbHandle.sqlite
      ? WalSync.for(ctx.dbHandle.sqlite, {
          observe: { flush: (s) => m.walFlush.observe(s), checkpoint: (s) => m.walCheckpoint.observe(s), hold: (s) => m.walHold.observe(s) },
        })
      : null;
  }

  submit(req: SendRequest): Promise<SendResult> {
    if (this.closed) return Promise.reject(new AppError(503, 'service_unavailable', 'The server is shutting down; please send the message again'));
    return new Promise<SendResult>((resolve, reject) => {
      this.queue.push({ req, resolve, reject, at: performance.now() });
      // setImmediate, not a timer: sends parsed in the same event-loop turn share the batch.
      this.loop ??= new Promise<void>((done) => setImmediate(() => void this.drain().finally(done)));
    });
  }

  /**
   * Resolves once the batches committed so far have been answered and published (on SQLite,
   * after their WAL flush). A group change stored in a transaction of its own waits for it
   * before telling its members, so its events come after those of the messages before it.
   */
  async published(): Promise<void> {
    await Promise.all(this.flushing);
  }

  /** Stops taking sends, stores what is queued, and resolves when nothing is left in flight. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.loop) await this.loop;
    await Promise.all(this.flushing);
    await this.wal?.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const quiet = this.wal?.beforeCommit();
        if (quiet) await quiet;
        const batch = this.queue.splice(0, MAX_BATCH);
        await this.commit(batch);
      }
    } finally {
      this.loop = null;
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    let result: BatchResult;
    try {
      result = await this.writeBatch(batch.map((p) => p.req));
      this.ctx.metrics.messageBatch.observe(batch.length);
    } catch (err) {
      if (batch.length > 1) {
        // One bad request must not fail its neighbours: each goes again on its own.
        this.ctx.log.warn({ err, size: batch.length }, 'message batch failed; retrying one by one');
        for (const p of batch) await this.commit([p]);
        return;
      }
      batch[0]!.reject(this.cleanError(err));
      return;
    }
    if (!this.wal) return this.settle(batch, result);
    // Committed but not yet flushed: the next batch may be written meanwhile, and this one is
    // answered (and published) once the WAL is on disk. Flushes settle in commit order.
    const done = this.wal.sync().then(
      () => this.settle(batch, result),
      (err: unknown) => {
        const e = this.cleanError(err);
        for (const p of batch) p.reject(e);
      },
    );
    this.flushing.add(done);
    void done.finally(() => this.flushing.delete(done));
  }

  /** Answers the requests of a stored batch and tells the members of its new messages. */
  private settle(batch: Pending[], result: BatchResult): void {
    const now = performance.now();
    const stored = this.ctx.metrics.messageStore;
    batch.forEach((p, i) => {
      stored.observe((now - p.at) / 1000);
      const o = result.outcomes[i]!;
      if (o instanceof AppError) p.reject(o);
      else p.resolve(o);
    });
    if (result.created.length > 0) this.ctx.metrics.messagesSent.inc(undefined, result.created.length);
    for (const c of result.created) publishMessageCreated(this.ctx, c.memberIds, c.message, c.origin);
  }

  private cleanError(err: unknown): AppError {
    if (err instanceof AppError) return err;
    this.ctx.log.error({ err }, 'storing a message failed');
    return new AppError(503, 'service_unavailable', 'The message could not be stored; please send it again (it will not be duplicated)');
  }

  private writeBatch(reqs: readonly SendRequest[]): Promise<BatchResult> {
    const now = nowIso();
    const raw = this.ctx.dbHandle.sqlite;
    if (raw) {
      // Holding Kysely's one connection guarantees no other transaction is open on it while the
      // prepared statements run; the transaction is IMMEDIATE so it never upgrades a read lock.
      // With a WAL flush of our own, COMMIT only writes (synchronous = NORMAL for this one
      // transaction; the connection goes back to FULL for everyone else right after).
      const deferSync = this.wal !== null;
      const tx = sqliteControl(raw);
      return this.ctx.db.connection().execute(async (conn) => {
        if (deferSync) tx.deferSync();
        try {
          tx.begin();
          try {
            const result = await runBatch(sqliteOps(raw, conn), reqs, now);
            tx.commit();
            return result;
          } catch (err) {
            if (raw.inTransaction) tx.rollback();
            throw err;
          }
        } finally {
          if (deferSync) tx.restoreSync();
        }
      });
    }
    return this.ctx.db.transaction().execute(async (trx) => {
      const convIds = [...new Set(reqs.map((r) => r.conversationId))].sort();
      // Locks in id order: batches of several nodes never wait on each other in a cycle. The
      // existing-clientId read comes after, so it sees what another node's batch committed.
      await sql`SELECT id FROM conversations WHERE id = ANY(${convIds}::text[]) ORDER BY id FOR UPDATE`.execute(trx);
      return runBatch(postgresOps(trx), reqs, now);
    });
  }
}

/** Plans and stores one batch inside an open transaction (see `MessageWriter`). */
async function runBatch(ops: BatchOps, reqs: readonly SendRequest[], now: string): Promise<BatchResult> {
  const unique = new Map<string, SendRequest>();
  for (const r of reqs) unique.set(keyOf(r.conversationId, r.senderId, r.clientId), r);
  const { existing: found, members } = await ops.read([...unique.values()], [...new Set(reqs.map((r) => r.conversationId))]);
  const existing = new Map<string, MessageRow>();
  for (const row of found) existing.set(keyOf(row.conversation_id, row.sender_id, row.client_id), row);

  const byKey = new Map<string, { row: MessageRow; created: boolean }>();
  const fresh: { row: MessageRow; fileIds: readonly string[]; origin?: string; requestLimit?: number }[] = [];
  const plan = reqs.map((r) => {
    const key = keyOf(r.conversationId, r.senderId, r.clientId);
    if (byKey.has(key)) return { key, created: false };
    const stored = existing.get(key);
    if (stored) {
      byKey.set(key, { row: stored, created: false });
      return { key, created: false };
    }
    const row: MessageRow = {
      id: newId(),
      conversation_id: r.conversationId,
      seq: 0,
      sender_id: r.senderId,
      client_id: r.clientId,
      body: r.body,
      created_at: now,
      edited_at: null,
      deleted_at: null,
      // Notes of group changes are stored with their change (system-notes.ts), not sent here.
      system: null,
    };
    byKey.set(key, { row, created: true });
    fresh.push({ row, fileIds: r.fileIds, origin: r.origin, requestLimit: r.requestLimit });
    return { key, created: true };
  });

  // Senders who are not (or no longer) members: membership is decided here, in the transaction
  // that stores, whatever the send check saw a moment earlier (it may answer from a cache).
  const outsiders = new Set<MessageRow>();
  const overLimit = new Set<MessageRow>();
  const limited = fresh.filter((f) => f.requestLimit !== undefined).map((f) => ({ conversationId: f.row.conversation_id, senderId: f.row.sender_id }));
  // Rare (a message request's first few messages), so read only when the batch has one.
  const requestSends = limited.length > 0 ? await openRequestSends(ops.db, limited) : null;
  // Files, like membership, are decided here: one may have been collected, or taken by another
  // send, since the send check. The first send of the batch to claim a file gets it.
  const withFiles = fresh.flatMap((f) => f.fileIds);
  const taken = withFiles.length > 0 ? await unattachableFiles(ops.db, withFiles) : null;
  const lostFile = new Map<MessageRow, string>();
  const memberSets = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  const planned: (PlannedRow & { send: (typeof fresh)[number] })[] = [];
  for (const f of fresh) {
    const id = f.row.conversation_id;
    let set = memberSets.get(id);
    if (!set) memberSets.set(id, (set = new Set(members.get(id))));
    if (!set.has(f.row.sender_id)) {
      outsiders.add(f.row);
      continue;
    }
    if (f.requestLimit !== undefined) {
      const key = `${id}\u0000${f.row.sender_id}`;
      const sent = requestSends?.get(key);
      // Absent: no longer a request of theirs (accepted meanwhile), so no limit applies.
      if (sent !== undefined) {
        if (sent >= f.requestLimit) {
          overLimit.add(f.row);
          continue;
        }
        requestSends!.set(key, sent + 1);
      }
    }
    const lost = taken && f.fileIds.find((fileId) => taken.has(fileId));
    if (lost) {
      lostFile.set(f.row, lost);
      continue;
    }
    for (const fileId of f.fileIds) taken?.add(fileId);
    const rank = (counts.get(id) ?? 0) + 1;
    counts.set(id, rank);
    planned.push({ row: f.row, rank, send: f });
  }
  const last = planned.length > 0 ? await ops.store(planned, counts, now) : new Map<string, number>();
  const missing = new Set<string>();
  const stored: typeof fresh = [];
  for (const p of planned) {
    const l = last.get(p.row.conversation_id);
    if (l === undefined) {
      missing.add(p.row.conversation_id);
      continue;
    }
    p.row.seq = seqOf(l, counts.get(p.row.conversation_id)!, p.rank);
    stored.push(p.send);
  }

  let files = new Map<string, FileInfo[]>();
  const links = stored.filter((f) => f.fileIds.length > 0);
  if (links.length > 0) {
    files = await linkAttachments(
      ops.db,
      links.map((f) => ({ messageId: f.row.id, conversationId: f.row.conversation_id, senderId: f.row.sender_id, fileIds: f.fileIds })),
    );
  }
  // A retry answers its first message with that message's files.
  if (existing.size > 0) for (const [id, f] of await loadMessageFiles(ops.db, [...existing.values()].map((r) => r.id))) files.set(id, f);

  const presented = new Map<string, Message>();
  const present = (row: MessageRow) => {
    let m = presented.get(row.id);
    if (!m) presented.set(row.id, (m = presentMessage(row, files.get(row.id))));
    return m;
  };
  const outcomes: Outcome[] = plan.map((p) => {
    const entry = byKey.get(p.key)!;
    if (entry.created && (missing.has(entry.row.conversation_id) || outsiders.has(entry.row))) return notFound('Conversation');
    if (entry.created && overLimit.has(entry.row)) return policyRefused('request_limit', MESSAGES.requestLimit);
    const lost = entry.created ? lostFile.get(entry.row) : undefined;
    if (lost) return badRequest(`File ${lost} cannot be attached: it is attached to another message or no longer exists`, [{ path: 'body.fileIds', message: `file ${lost} unavailable` }]);
    return { message: present(entry.row), created: p.created };
  });
  const created = stored.map((f) => ({ message: present(f.row), memberIds: members.get(f.row.conversation_id) ?? [], origin: f.origin }));
  return { outcomes, created };
}

/**
 * Tells the members of a stored message (a send, or a group change's note). Stored is stored: a
 * bus failure is logged, never turned into an error for what was acknowledged; members catch up
 * with it by seq. `skipConnection`: the socket that sent it, answered there already.
 */
export function publishMessageCreated(ctx: AppContext, memberIds: readonly string[], message: Message, skipConnection?: string): void {
  try {
    ctx.events.publish(memberIds, { type: 'message.created', conversationId: message.conversationId, message }, { skipConnection });
  } catch (err) {
    ctx.log.warn({ err, conversationId: message.conversationId }, 'publishing message.created failed');
  }
}

const writers = new WeakMap<AppContext, MessageWriter>();

/**
 * The node's message writer, made on first use and closed at shutdown (after the HTTP server
 * has drained, before the database closes: the lifecycle runs closers last-registered first).
 */
export function messageWriter(ctx: AppContext): MessageWriter {
  let w = writers.get(ctx);
  if (!w) {
    const writer = new MessageWriter(ctx);
    writers.set(ctx, writer);
    ctx.lifecycle.onClose(() => writer.close());
    w = writer;
  }
  return w;
}
