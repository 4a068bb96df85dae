import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What `put` stored: the blob's key, its length and its SHA-256 (hex). */
export interface PutResult {
  key: string;
  size: number;
  sha256: string;
}

export interface PutOptions {
  /** The most bytes accepted; the write stops as soon as one more arrives. */
  maxBytes: number;
}

export interface DeleteOptions {
  /**
   * Asked after the blob was taken out of sight and before it is destroyed: true keeps it. Lets
   * the collector re-check the database without racing an upload of the same content.
   */
  stillWanted?: () => Promise<boolean>;
  /** Keep a blob written or re-used this recently: an upload of the same bytes may be finishing. */
  keepIfUsedWithinMs?: number;
}

/**
 * Where file contents live. Services only use this interface, so an S3-compatible store can
 * replace the local disk without touching them. Keys are made by the storage, never from user
 * input.
 */
export interface FileStorage {
  put(source: AsyncIterable<Uint8Array> | Readable, opts: PutOptions): Promise<PutResult>;
  /** A read stream of the whole blob or of bytes `start..end` (inclusive). */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** The blob's size, or null when it does not exist. */
  stat(key: string): Promise<{ size: number } | null>;
  delete(key: string, opts?: DeleteOptions): Promise<void>;
}

/** Thrown by `put` when the source passed `maxBytes`; the partial blob is already gone. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

const KEY = /^[0-9a-f]{64}$/;

/** Counts and hashes what flows through, failing as soon as the count passes the limit. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      cb(new FileTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * Blobs on the local disk under `<root>`, content-addressed as `ab/cd/<sha256>`: identical files
 * are stored once. Writes go to `<root>/tmp` (same file system) and are renamed into place only
 * when complete and synced, so a crash never leaves a partial blob under a real key.
 */
export class LocalDiskStorage implements FileStorage {
  readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new Error('invalid storage key');
    return path.join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  async put(source: AsyncIterable<Uint8Array> | Readable, opts: PutOptions): Promise<PutResult> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    const meter = new Meter(opts.maxBytes);
    // `flush` syncs the file before it is closed: the blob is durable before it gets a key.
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true, highWaterMark: 1024 * 1024 });
    try {
      await pipeline(source, meter, out);
      const sha256 = meter.hash.digest('hex');
      await this.settle(tmp, sha256);
      return { key: sha256, size: meter.size, sha256 };
    } catch (err) {
      // A pipeline that fails early (a source refused or aborted at once) rejects before the
      // file's open has finished; the open still creates the file afterwards. Removing it
      // before the stream has closed would leave a stray temp file behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Moves a complete temp file to its content address, or drops it when the blob exists. */
  private async settle(tmp: string, sha256: string): Promise<void> {
    const final = this.pathOf(sha256);
    const now = new Date();
    try {
      // Refreshing the time marks the existing blob as wanted (see `delete`).
      await fs.utimes(final, now, now);
      await fs.rm(tmp, { force: true });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const dir = path.dirname(final);
    await fs.mkdir(dir, { recursive: true });
    await fs.rename(tmp, final);
    await syncDir(dir);
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    // Opening first turns a missing blob into a rejected promise instead of a stream error.
    const fh = await fs.open(file, 'r');
    return fh.createReadStream({ start: range?.start, end: range?.end, highWaterMark: 256 * 1024 });
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const st = await fs.stat(this.pathOf(key));
      return { size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Removes a blob. The blob is first renamed aside (atomic), so an upload of the same content
   * from then on finds no blob and writes its own; one that re-used it just before left a fresh
   * time on it, and the blob is put back.
   */
  async delete(key: string, opts: DeleteOptions = {}): Promise<void> {
    const file = this.pathOf(key);
    await fs.mkdir(this.tmpDir, { recursive: true });
    const aside = path.join(this.tmpDir, `${key}.${randomBytes(6).toString('hex')}.del`);
    try {
      await fs.rename(file, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let keep = false;
    try {
      const st = await fs.stat(aside);
      const recent = opts.keepIfUsedWithinMs !== undefined && Date.now() - st.mtimeMs < opts.keepIfUsedWithinMs;
      keep = recent || (opts.stillWanted ? await opts.stillWanted() : false);
    } catch {
      keep = true;
    }
    if (keep) {
      // Identical content may have been written meanwhile; either copy is the same bytes.
      await fs.rename(aside, file).catch(() => fs.rm(aside, { force: true }));
      return;
    }
    await fs.rm(aside, { force: true });
  }
}

async function syncDir(dir: string): Promise<void> {
  // A rename is durable once its directory is synced; not every platform allows opening one.
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // best effort
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
