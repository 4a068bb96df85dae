import fs from 'node:fs';
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
 */
export class WalSync {
  private fd: number | null = null;
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private busy = false;

  private constructor(private readonly walPath: string) {}

  /** For a file database in WAL mode; null otherwise (the writer then commits with FULL). */
  static for(raw: SQLite.Database): WalSync | null {
    if (raw.memory) return null;
    const mode = String(raw.pragma('journal_mode', { simple: true })).toLowerCase();
    if (mode !== 'wal') return null;
    return new WalSync(`${raw.name}-wal`);
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

  /** After the writer has settled everything (no flush is running then). */
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
