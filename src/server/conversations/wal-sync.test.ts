import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { WalSync } from './wal-sync.js';

const PAGE = 4096;
const COMMITS = 1500;
const BURSTS = 150;

describe('WalSync', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function open() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-wal-'));
    dirs.push(dir);
    const file = path.join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
    return { db, file };
  }

  it('under commits that never pause, the WAL starts over instead of growing, and every commit is flushed', async () => {
    const { db, file } = open();
    const quietFrames = 1000;
    const seen = { flush: 0, checkpoint: 0, hold: 0 };
    const wal = WalSync.for(db, {
      quietFrames,
      checkpointEveryMs: 10,
      observe: {
        flush: (s) => (seen.flush += s >= 0 ? 1 : NaN),
        checkpoint: (s) => (seen.checkpoint += s >= 0 ? 1 : NaN),
        hold: (s) => (seen.hold += s >= 0 ? 1 : NaN),
      },
    })!;
    expect(wal).not.toBeNull();
    await wal.checkpointerStarted();
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    let largest = 0;
    let committed = 0;
    // Well past what one WAL of `quietFrames` holds: about 12 pages a commit, 1,500 commits.
    for (let i = 0; i < COMMITS; i++) {
      const hold = wal.beforeCommit();
      if (hold) await hold;
      db.exec('BEGIN IMMEDIATE');
      for (let r = 0; r < 12; r++) insert.run(Buffer.alloc(3000, i % 251));
      db.exec('COMMIT');
      committed++;
      await wal.sync();
      largest = Math.max(largest, statSync(`${file}-wal`).size);
    }
    await wal.close();
    expect(committed).toBe(COMMITS);
    const rows = db.prepare('SELECT count(*) AS n FROM t').get() as { n: number };
    expect(rows.n).toBe(COMMITS * 12);
    // Without the quiet checkpoint the WAL would hold every frame written (18,000+ pages; the
    // backstop is at 64,000); with it, it restarts a little after `quietFrames`.
    expect(largest / PAGE).toBeLessThan(quietFrames * 3);
    expect(COMMITS * 12).toBeGreaterThan(quietFrames * 15);
    // Each flush, checkpoint and hold was reported with its duration (the node's metrics).
    expect(seen.flush).toBe(COMMITS);
    expect(seen.checkpoint).toBeGreaterThan(0);
    expect(seen.hold).toBeGreaterThan(0);
    db.close();
  }, 60_000);

  it('answers every caller, in call order, although flushes overlap', async () => {
    const { db } = open();
    let flushes = 0;
    const wal = WalSync.for(db, { observe: { flush: () => flushes++, checkpoint: () => undefined, hold: () => undefined } })!;
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const answered: number[] = [];
    const pending: Promise<void>[] = [];
    // Commits in bursts: callers of one burst share a flush, and a burst's flush may start while
    // the previous burst's still runs. Whichever flush ends first, callers are answered in order.
    for (let burst = 0; burst < BURSTS; burst++) {
      for (let i = 0; i < 5; i++) {
        const n = burst * 5 + i;
        insert.run(Buffer.alloc(2000, n % 251));
        pending.push(wal.sync().then(() => void answered.push(n)));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    expect(answered).toEqual(Array.from({ length: BURSTS * 5 }, (_, n) => n));
    // Grouped: fewer flushes than callers.
    expect(flushes).toBeGreaterThan(0);
    expect(flushes).toBeLessThan(BURSTS * 5);
    await wal.close();
    db.close();
  });

  it('is not used for a database in memory', () => {
    const db = new Database(':memory:');
    expect(WalSync.for(db)).toBeNull();
    db.close();
  });
});
