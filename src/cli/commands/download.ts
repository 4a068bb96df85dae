import { randomBytes } from 'node:crypto';
import { constants as fsc, rmSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { api } from '../../shared/api/index.js';
import { ParleyClient } from '../../shared/client.js';
import { withoutUnsafeChars } from '../terminal.js';
import { CliError } from '../util.js';
import { cannotWrite, Progress, Stall } from './transfer.js';

/** The file name of a Content-Disposition header (the UTF-8 form preferred), or null. */
export function dispositionName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      // fall back to the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/i.exec(header) ?? /filename\s*=\s*([^;\s]+)/i.exec(header);
  return plain ? plain[1]! : null;
}

/** The longest file name most file systems take, in bytes (NAME_MAX on Linux and macOS). */
const NAME_MAX_BYTES = 255;

/**
 * `name` cut to at most `maxBytes` of UTF-8, keeping its extension and never splitting a
 * character (a letter and its accents, an emoji) in two.
 */
export function fitName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  let ext = dot > 0 ? name.slice(dot) : '';
  // An "extension" that long is part of the name.
  if (Buffer.byteLength(ext) > Math.min(32, maxBytes / 2)) ext = '';
  const budget = maxBytes - Buffer.byteLength(ext);
  let stem = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(name.slice(0, name.length - ext.length))) {
    const bytes = Buffer.byteLength(segment);
    if (used + bytes > budget) break;
    stem += segment;
    used += bytes;
  }
  return stem.trimEnd() + ext;
}

/**
 * Where a download goes when no -o names the file: the server's name reduced to one plain path
 * segment inside `dir` (the current directory unless -o names a directory), whatever the header
 * says. Leading dots go, as browsers do it: a name like ".bash_profile" or ".ssh" chosen by the
 * sender must not land as a hidden file that a shell or another program picks up.
 */
export function safeLocalName(name: string | null, fallback: string, dir = process.cwd(), maxBytes = NAME_MAX_BYTES): string {
  const segment = withoutUnsafeChars(name ?? '')
    .split(/[/\\]/)
    .pop()!
    .replace(/^[\s.]+/, '')
    .trimEnd();
  const chosen = fitName(segment, maxBytes) || fallback;
  const full = path.resolve(dir, chosen);
  if (path.dirname(full) !== path.resolve(dir)) throw new CliError('The server suggested an unsafe file name; use -o PATH', 2);
  return full;
}

/**
 * A name for the download that is free in `dir`. A name the file system finds too long
 * (ENAMETOOLONG: its limit may be below 255 bytes, or the whole path too long) is shortened
 * until it fits, rather than failing after the server has agreed to send the file.
 */
async function freeLocalName(dir: string, suggested: string | null, fallback: string): Promise<string> {
  for (let budget = NAME_MAX_BYTES; ; budget = Math.floor(budget * 0.6)) {
    const target = safeLocalName(suggested, fallback, dir, budget);
    try {
      await fs.lstat(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return target;
      if (code === 'ENAMETOOLONG' && budget > 24) continue;
      throw cannotWrite(target, err);
    }
    throw new CliError(`${target} already exists; choose another name with -o`, 2);
  }
}

/** What `-o PATH` names, found out before the server is asked for anything. */
type Output =
  | { kind: 'directory'; dir: string }
  /** A file there already: replaced whole once the download is complete. */
  | { kind: 'file'; path: string; mode: number }
  | { kind: 'new'; path: string }
  /** A device or a named pipe (`-o /dev/stdout`): written to as it is, as nothing can be lost. */
  | { kind: 'special'; path: string };

async function examineOutput(out: string): Promise<Output> {
  const full = path.resolve(out);
  let st;
  try {
    st = await fs.stat(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'new', path: full };
    throw cannotWrite(out, err);
  }
  if (st.isDirectory()) return { kind: 'directory', dir: full };
  if (!st.isFile()) return { kind: 'special', path: full };
  // A link stays a link: the file it points to is the one replaced.
  const real = await fs.realpath(full);
  // A file without write permission says "keep me": replacing it is refused, for root too
  // (who may write anything, so its mode is looked at as well).
  const writable = (st.mode & 0o222) !== 0 && (await fs.access(real, fsc.W_OK).then(() => true, () => false));
  if (!writable) throw new CliError(`${out} is read-only, so it was not replaced: make it writable (chmod u+w) or choose another name with -o`, 2);
  return { kind: 'file', path: real, mode: st.mode & 0o7777 };
}

/**
 * Puts a complete download in its place. Without -o an existing file is never replaced: a hard
 * link fails if the name was taken meanwhile (a copy does the same where links are not to be had).
 */
async function putInPlace(temp: string, target: string, replace: boolean): Promise<void> {
  if (replace) return fs.rename(temp, target);
  try {
    await fs.link(temp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${target} already exists; choose another name with -o`, 2);
    await fs.copyFile(temp, target, fsc.COPYFILE_EXCL);
  }
  await fs.rm(temp, { force: true });
}

/**
 * Downloads a file. It is written to a temporary file beside its target and moved there only
 * once complete, so a failure (the network, a full disk) leaves any earlier file of that name as
 * it was; only the temporary file is ever deleted.
 */
export async function downloadFile(client: ParleyClient, fileId: string, out?: string): Promise<{ path: string; size: number }> {
  const output = out === undefined ? undefined : await examineOutput(out);
  const stall = new Stall(client.timeoutMs);
  try {
    const res = await fetch(client.url(api.files.download.path.replace(':id', encodeURIComponent(fileId))), { headers: client.headers(), signal: stall.signal });
    if (!res.ok || !res.body) await ParleyClient.read(res);
    stall.touch();
    let target: string;
    let replace = true;
    if (output === undefined || output.kind === 'directory') {
      try {
        target = await freeLocalName(output?.dir ?? process.cwd(), dispositionName(res.headers.get('content-disposition')), `file-${fileId}`);
      } catch (err) {
        // Nothing will read the file: the connection is let go rather than left waiting.
        await res.body!.cancel().catch(() => undefined);
        throw err;
      }
      replace = false;
    } else {
      target = output.path;
    }
    const total = Number(res.headers.get('content-length') ?? NaN);
    const progress = new Progress(`↓ ${path.basename(target)}`, Number.isFinite(total) ? total : null, () => stall.touch());
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const body = Readable.from(chunksOf(res.body as WebReadableStream<Uint8Array>), { objectMode: false });
    if (output?.kind === 'special') {
      await writeAll(body, counter, progress, target, 'w');
      return { path: target, size };
    }
    const temp = path.join(path.dirname(target), `.parley-${randomBytes(6).toString('hex')}.part`);
    // Interrupted (Ctrl-C), the download leaves nothing behind: the part file goes, then the
    // process ends as the signal would have ended it.
    const onSignal = (signal: NodeJS.Signals) => {
      rmSync(temp, { force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await writeAll(body, counter, progress, temp, 'wx', target);
      if (output?.kind === 'file') await fs.chmod(temp, output.mode).catch(() => undefined);
      await putInPlace(temp, target, replace);
    } catch (err) {
      await fs.rm(temp, { force: true });
      if (err instanceof CliError) throw err;
      if ((err as NodeJS.ErrnoException).syscall) throw cannotWrite(target, err);
      throw err;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return { path: target, size };
  } finally {
    stall.stop();
  }
}

/**
 * The answer's bytes, read chunk by chunk: a connection that breaks fails the read in hand (and
 * so the pipeline), where a stream made with `Readable.fromWeb` could meet the fetch's own
 * "terminated" error outside of any caller, as an uncaught exception. A body not read to its end
 * is cancelled, so the connection is let go.
 */
async function* chunksOf(stream: WebReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Streams the answer into `file`. An error of the file itself (it cannot be created, the disk is
 * full) is reported as about `shownAs`; anything else (the connection failed or stalled) as is.
 */
async function writeAll(body: Readable, counter: Transform, progress: Progress, file: string, flags: string, shownAs = file): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, flags);
  } catch (err) {
    body.destroy();
    throw cannotWrite(shownAs, err);
  }
  const sink: Writable = handle.createWriteStream();
  let writeError: unknown;
  sink.once('error', (err) => (writeError = err));
  try {
    await pipeline(body, counter, progress, sink);
  } catch (err) {
    if (writeError) throw cannotWrite(shownAs, writeError);
    throw err;
  } finally {
    await handle.close().catch(() => undefined);
  }
}
