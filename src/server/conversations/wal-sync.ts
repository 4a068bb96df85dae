import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

export interface WalSyncOptions {
  /** WAL frames past which the writer waits for a quiet checkpoint. */
  quietFrames: number;
  /** Interval of the worker's background checkpoints. */
  checkpointEveryMs: number;
  /** Told the duration (seconds) of each flush, checkpoint and hold, for the node's metrics. */
  observe?: WalObserver;
}

export interface WalObserver {
  flush(seconds: number): void;
  checkpoint(seconds: number): void;
  hold(seconds: number): void;
}

/**
 * The flush to disk of the message writer's SQLite commits, off the event loop.
 *
 * better-sqlite3 is synchronous: with `synchronous = FULL`, every COMMIT waits for an fsync of the
 * WAL on the one JavaScript thread, and at chat rates that wait (one to several milliseconds per
 * batch) was a large share of a node's time, during which no request was parsed and no event
 * sent. So the writer commits its batches with `synchronous = NORMAL` (the WAL is written, not
 * flushed) and then asks for this flush, which runs fdatasync on the WAL file in libuv's thread
 * pool. The writer acknowledges a batch (and publishes its events) only once a flush that began
 * after the batch's COMMIT has finished: an acknowledged message is on disk exactly as with
 * FULL, and batches committed together share one flush (group commit). Two flushes may run at
 * once (see `startFlush`).
 *
 * fdatasync flushes the file, whichever descriptor it is called on, so a descriptor of our own on
 * the `-wal` file covers the frames SQLite wrote. SQLite never replaces that file while the
 * database is open, and in NORMAL mode it still syncs the WAL before every checkpoint. Other
 * writers of the database keep `synchronous = FULL`.
 *
 * Checkpoints (copying the WAL into the database file, with two fsyncs) would otherwise run inside
 * a COMMIT every 1,000 pages, blocking the event loop for several milliseconds each time; a
 * worker thread with a connection of its own runs them instead (PASSIVE: they never block a
 * writer), and the node's connection only checkpoints itself as a backstop if the WAL grows large.
 *
 * Under a steady stream of commits a PASSIVE checkpoint rarely catches up with the last frame,
 * and SQLite only starts the WAL over once one has; the WAL would grow to the backstop, whose
 * checkpoint then blocks the event loop (20 ms every second at 5,000 messages/s). So when the
 * WAL is long, the writer holds its next commit until the worker has checkpointed with no commit
 * in between (`beforeCommit`): sends queue meanwhile (the event loop stays free) and go into the
 * next batch, which starts the WAL over.
 *
 * The hold is what a message feels as latency, so it is kept short in two phases: first the worker
 * copies back everything in the WAL while commits go on (`prepare`, no hold); only then does the
 * writer hold, and the quiet checkpoint has just the frames written during the first phase to copy
 * and sync. Holding for the whole copy instead grew to 15–20 ms per hold as the database grew.
 * (The worker keeps the normal CPU priority: at the lowest, a node whose CPU is saturated starved
 * it, and the WAL grew past the quiet threshold before phase one could end.)
 */
export class WalSync {
  private fd: number | null = null;
  /** Callers of `sync` not answered yet, in call (commit) order. */
  private waiters: { ticket: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /** Tickets given to `sync` callers so far. */
  private tickets = 0;
  /** The highest ticket that a flush already running will cover. */
  private covered = 0;
  private inFlight = 0;
  private checkpointer: Worker | null = null;
  /** Frames in the WAL at the worker's last checkpoint. */
  private walFrames = 0;
  private quiet: { promise: Promise<void>; resolve: () => void; since: number } | null = null;
  private startedResolve: () => void = () => undefined;
  private readonly startedPromise = new Promise<void>((resolve) => (this.startedResolve = resolve));
  /** Phase one of a quiet checkpoint: asked of the worker, not answered yet. */
  private preparing = false;
  /** Phase one done: the next commit waits for the quiet checkpoint. */
  private prepared = false;

  private constructor(
    private readonly raw: SQLite.Database,
    private readonly walPath: string,
    private readonly options: WalSyncOptions,
  ) {}

  /** For a file database in WAL mode; null otherwise (the writer then commits with FULL). */
  static for(raw: SQLite.Database, options: Partial<WalSyncOptions> = {}): WalSync | null {
    if (raw.memory) return null;
    const mode = String(raw.pragma('journal_mode', { simple: true })).toLowerCase();
    if (mode !== 'wal') return null;
    const w = new WalSync(raw, `${raw.name}-wal`, { quietFrames: QUIET_CHECKPOINT_FRAMES, checkpointEveryMs: CHECKPOINT_EVERY_MS, ...options });
    // Started with the node, not by the first message: starting a thread is not for a send to pay.
    w.startCheckpointer();
    return w;
  }

  /**
   * Resolves once the checkpointer runs (a node's first seconds write little; tests and
   * benchmarks that measure the WAL wait for it).
   */
  checkpointerStarted(): Promise<void> {
    return this.startedPromise;
  }

  /**
   * Resolves once everything committed before the call is on disk. Callers are answered in call
   * order, so batches are acknowledged (and their events published) in commit order.
   */
  sync(): Promise<void> {
    const ticket = ++this.tickets;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ ticket, resolve, reject }));
    this.startFlush();
    return p;
  }

  /**
   * Starts a flush for the callers no running flush covers, unless `MAX_FLUSHES` already run.
   *
   * Flushes overlap: a batch committed while a flush runs starts its own at once instead of
   * waiting for that one to end first (at 5,000 msg/s, waiting for flushes was most of a
   * message's time in the writer at p99). An fdatasync that begins after a COMMIT wrote its
   * frames makes them durable, whichever other fdatasync runs meanwhile; so each flush covers
   * every caller that came before it started, and when it ends they are answered, in order, along
   * with any earlier ones a slower flush still covers.
   */
  private startFlush(): void {
    if (this.covered === this.tickets || this.inFlight >= MAX_FLUSHES) return;
    const covers = this.tickets;
    this.covered = covers;
    this.inFlight++;
    const since = performance.now();
    const done = (err: unknown) => {
      this.inFlight--;
      if (!err) this.options.observe?.flush((performance.now() - since) / 1000);
      this.settle(covers, err);
      this.startFlush();
    };
    try {
      this.fd ??= fs.openSync(this.walPath, 'r');
      fs.fdatasync(this.fd, (err) => done(err));
    } catch (err) {
      done(err);
    }
  }

  /** Answers the callers up to `ticket`: on disk, or (the flush failed) not known to be. */
  private settle(ticket: number, err: unknown): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.ticket <= ticket) n++;
    for (const w of this.waiters.splice(0, n)) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  /** Called by the writer before each commit; waits for a quiet checkpoint when the WAL is long. */
  beforeCommit(): Promise<void> | null {
    if (this.walFrames < this.options.quietFrames || !this.checkpointer) return null;
    if (!this.quiet && !this.prepared) {
      if (!this.preparing) {
        this.preparing = true;
        this.checkpointer.postMessage('prepare');
      }
      return null;
    }
    if (!this.quiet) {
      this.prepared = false;
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.quiet = { promise, resolve, since: performance.now() };
      // A worker that does not answer in time must not hold messages up. (Referenced: messages
      // waiting here keep the process alive, as their commit would.)
      const timer = setTimeout(() => this.endQuiet(), QUIET_CHECKPOINT_TIMEOUT_MS);
      void promise.then(() => clearTimeout(timer));
      this.checkpointer.postMessage('now');
    }
    return this.quiet.promise;
  }

  private endQuiet(): void {
    this.walFrames = 0;
    const q = this.quiet;
    this.quiet = null;
    if (!q) return;
    this.options.observe?.hold((performance.now() - q.since) / 1000);
    q.resolve();
  }

  private onWorkerMessage(m: unknown): void {
    const r = m as { log?: unknown; ms?: unknown; quiet?: unknown; prepared?: unknown; ready?: unknown };
    if (r.ready === true) this.startedResolve();
    if (typeof r.log === 'number') this.walFrames = r.log;
    if (typeof r.ms === 'number') this.options.observe?.checkpoint(r.ms / 1000);
    if (r.prepared === true) {
      this.preparing = false;
      this.prepared = true;
    }
    if (r.quiet === true) this.endQuiet();
  }

  private startCheckpointer(): void {
    const worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: this.raw.name, intervalMs: this.options.checkpointEveryMs },
    });
    // A checkpointer that fails leaves the backstop below to do the work; it is not fatal.
    worker.on('error', () => {
      this.raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
      this.checkpointer = null;
      this.preparing = this.prepared = false;
      this.startedResolve();
      this.endQuiet();
    });
    worker.on('message', (m: unknown) => this.onWorkerMessage(m));
    worker.unref();
    this.checkpointer = worker;
    this.raw.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT}`);
  }

  /**
   * After the writer has settled everything. A flush that a later one overtook may still be
   * running; closing its descriptor is harmless, since the later flush answered all its callers.
   */
  async close(): Promise<void> {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const worker = this.checkpointer;
    this.checkpointer = null;
    this.endQuiet();
    if (worker) {
      // The worker closes its connection before it ends, so the node's connection is the last
      // one when the database closes (SQLite then checkpoints and removes the WAL).
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      // Unreferenced while the node runs (it must not keep a process alive); during shutdown the
      // wait for it must keep the event loop alive, or the process would end before closing.
      worker.ref();
      worker.postMessage('stop');
      await exited;
      this.raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
    }
  }
}

/**
 * A checkpoint copies each page once, however many frames of it the WAL holds. Messages of a busy
 * node rewrite the same few thousand pages (each chat's last index pages, the chats' and members'
 * rows) many times a second, so checkpointing once a second instead of five times copies a
 * fraction of the pages: the writer alone went from about 18,000 to 21,000 msg/s on one core.
 */
const CHECKPOINT_EVERY_MS = 1000;
const DEFAULT_AUTOCHECKPOINT = 1000;
/** Pages (4 KiB) of WAL after which the node's own connection checkpoints anyway. */
const BACKSTOP_AUTOCHECKPOINT = 64_000;
/** WAL frames (about 128 MiB) past which the writer waits for a quiet checkpoint (see above). */
const QUIET_CHECKPOINT_FRAMES = 32_000;
const QUIET_CHECKPOINT_TIMEOUT_MS = 250;
/**
 * Flushes running at once. They run in libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise), which file uploads and password hashing share.
 */
const MAX_FLUSHES = 2;

// Plain JavaScript run as a worker (eval), so it loads the same way from sources and from a build.
const CHECKPOINTER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const checkpoint = () => {
  try {
    const since = performance.now();
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ log: r.log, ms: performance.now() - since });
  } catch { /* busy: the next round */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.postMessage({ ready: true });
parentPort.on('message', (m) => {
  if (m === 'prepare') {
    checkpoint();
    parentPort.postMessage({ prepared: true });
    return;
  }
  if (m === 'now') {
    checkpoint();
    parentPort.postMessage({ quiet: true });
    return;
  }
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
