import { Transform, type TransformCallback } from 'node:stream';
import { terminalSafe } from '../terminal.js';
import { CliError } from '../util.js';

/** What uploads and downloads share: their progress bar, their stall clock and their file errors. */

/** A one-line progress bar on stderr: percentage and throughput, redrawn at most 10 times a second. */
export class Progress extends Transform {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  private readonly label: string;

  constructor(
    label: string,
    private readonly total: number | null,
    /** Told of every chunk that goes through (the transfer is alive). */
    private readonly onChunk: () => void = () => undefined,
  ) {
    super();
    this.label = terminalSafe(label);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.done += chunk.length;
    this.onChunk();
    const now = Date.now();
    if (this.tty && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.draw(false);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.draw(true);
    cb();
  }

  private draw(final: boolean): void {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.done / 1e6 / secs;
    const pct = this.total ? Math.min(100, Math.floor((this.done / this.total) * 100)) : null;
    const width = 24;
    const filled = pct === null ? 0 : Math.round((pct / 100) * width);
    const bar = pct === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% `;
    const line = `${this.label} ${bar}${(this.done / 1e6).toFixed(1)} MB  ${rate.toFixed(1)} MB/s`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else if (final) process.stderr.write(`${line}\n`);
  }
}

/**
 * Gives up on a transfer the server has stopped taking part in (`PARLEY_TIMEOUT`, as for every
 * other request). A transfer may rightly last far longer than that, so the time counts from the
 * last chunk that moved, and then from the end of an upload to the server's answer.
 */
export class Stall {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number | undefined) {
    this.touch();
  }

  get signal(): AbortSignal | undefined {
    return this.ms ? this.controller.signal : undefined;
  }

  touch(): void {
    if (!this.ms) return;
    clearTimeout(this.timer);
    // The same kind of error as a request's own timeout, so it is told the same way (exit code 4).
    this.timer = setTimeout(() => this.controller.abort(new DOMException(`no answer within ${this.ms! / 1000} s`, 'TimeoutError')), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** What went wrong with a local file, in words rather than an errno. */
export function fileProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EIO':
      return 'input/output error';
    default:
      return e.code ?? e.message ?? String(err);
  }
}

export const cannotRead = (file: string, err: unknown) => new CliError(`Cannot read ${file}: ${fileProblem(err)}`, 2);
export const cannotWrite = (file: string, err: unknown) => new CliError(`Cannot write ${file}: ${fileProblem(err)}`);
