import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

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
 * FULL, and batches committed while a flush runs share the next one (group commit).
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
 */
export class WalSync {
  private fd: number | null = null;
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private busy = false;
  private checkpointer: Worker | null = null;
  private closed = false;

  private constructor(
    private readonly raw: SQLite.Database,
    private readonly walPath: string,
  ) {}

  /** For a file database in WAL mode; null otherwise (the writer then commits with FULL). */
  static for(raw: SQLite.Database): WalSync | null {
    if (raw.memory) return null;
    const mode = String(raw.pragma('journal_mode', { simple: true })).toLowerCase();
    if (mode !== 'wal') return null;
    const w = new WalSync(raw, `${raw.name}-wal`);
    // Started with the node, not by the first message: starting a thread is not for a send to pay.
    w.startCheckpointer();
    return w;
  }

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.busy) void this.loop();
    return p;
  }

  private async loop(): Promise<void> {
    this.busy = true;
    try {
      while (this.waiters.length > 0) {
        // Those waiting now committed before this flush starts; later callers wait for the next.
        const round = this.waiters;
        this.waiters = [];
        try {
          this.fd ??= fs.openSync(this.walPath, 'r');
          const fd = this.fd;
          await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
          for (const w of round) w.resolve();
        } catch (err) {
          for (const w of round) w.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private startCheckpointer(): void {
    const worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: this.raw.name, intervalMs: CHECKPOINT_EVERY_MS },
    });
    // A checkpointer that fails leaves the backstop below to do the work; it is not fatal.
    worker.on('error', () => this.raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`));
    worker.unref();
    this.checkpointer = worker;
    this.raw.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT}`);
  }

  /** After the writer has settled everything (no flush is running then). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const worker = this.checkpointer;
    this.checkpointer = null;
    if (worker) {
      // The worker closes its connection before it ends, so the node's connection is the last
      // one when the database closes (SQLite then checkpoints and removes the WAL).
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop');
      await exited;
      this.raw.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
    }
  }
}

const CHECKPOINT_EVERY_MS = 200;
const DEFAULT_AUTOCHECKPOINT = 1000;
/** Pages (4 KiB) of WAL after which the node's own connection checkpoints anyway. */
const BACKSTOP_AUTOCHECKPOINT = 16_000;

// Plain JavaScript run as a worker (eval), so it loads the same way from sources and from a build.
const CHECKPOINTER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 100');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round */ }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
