import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { api } from '../../shared/api/index.js';
import type { FileInfo } from '../../shared/api/shapes.js';
import { ParleyClient } from '../../shared/client.js';
import { callApi, requireLogin } from '../client/session.js';
import { CliError, print } from '../util.js';

/** A one-line progress bar on stderr: percentage and throughput, redrawn at most 10 times a second. */
class Progress extends Transform {
  private done = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number | null,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.done += chunk.length;
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

/** Streams a local file to the server (never read whole into memory), showing progress. */
export async function uploadFile(client: ParleyClient, conversationId: string, filePath: string): Promise<FileInfo> {
  let st;
  try {
    st = await fs.stat(filePath);
  } catch {
    throw new CliError(`Cannot read ${filePath}`, 2);
  }
  if (!st.isFile()) throw new CliError(`${filePath} is not a file`, 2);
  const name = path.basename(filePath);
  const body = createReadStream(filePath).pipe(new Progress(`↑ ${name}`, st.size));
  const res = await fetch(client.url(api.files.upload.path, { conversationId, name }), {
    method: 'POST',
    headers: client.headers({ 'content-type': 'application/octet-stream', 'content-length': String(st.size) }),
    body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
  return (await ParleyClient.read(res)) as FileInfo;
}

/** Uploads each file in turn; answers their ids for a message. */
export async function uploadFiles(client: ParleyClient, server: string, conversationId: string, paths: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of paths) ids.push((await callApi(server, () => uploadFile(client, conversationId, p))).id);
  return ids;
}

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

/**
 * Where a download goes when no -o was given: the server's name reduced to one plain path
 * segment inside the current directory, whatever the header says.
 */
export function safeLocalName(name: string | null, fallback: string): string {
  const base = (name ?? '').replace(/[\u0000-\u001f\u007f]/g, '').split(/[/\\]/).pop()!.trim();
  const chosen = !base || base === '.' || base === '..' ? fallback : base;
  const cwd = process.cwd();
  const full = path.resolve(cwd, chosen);
  if (path.dirname(full) !== cwd) throw new CliError('The server suggested an unsafe file name; use -o PATH', 2);
  return full;
}

export async function downloadFile(client: ParleyClient, fileId: string, out?: string): Promise<{ path: string; size: number }> {
  const res = await fetch(client.url(api.files.download.path.replace(':id', encodeURIComponent(fileId))), { headers: client.headers() });
  if (!res.ok || !res.body) await ParleyClient.read(res);
  const target = out ? path.resolve(out) : safeLocalName(dispositionName(res.headers.get('content-disposition')), `file-${fileId}`);
  const total = Number(res.headers.get('content-length') ?? NaN);
  const progress = new Progress(`↓ ${path.basename(target)}`, Number.isFinite(total) ? total : null);
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      cb(null, chunk);
    },
  });
  // Without -o an existing file is never overwritten.
  const file = createWriteStream(target, { flags: out ? 'w' : 'wx' });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, progress, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${target} already exists; choose another name with -o`, 2);
    await fs.rm(target, { force: true });
    throw err;
  }
  return { path: target, size };
}

/** `parley upload` and `parley download`; `parley send --file` uses `uploadFiles`. */
export function registerFilesCommands(program: Command): void {
  program
    .command('upload <conversation> <path>')
    .description('upload a file into a chat without sending it; prints its id')
    .action(async (conversation: string, filePath: string) => {
      const { creds, api: client } = requireLogin();
      const info = await callApi(creds.server, () => uploadFile(client, conversation, filePath));
      print(`${info.id}  ${info.name}  ${info.size} bytes`);
    });

  program
    .command('download <fileId>')
    .description('download a file of one of your chats (named as the server says, in the current directory)')
    .option('-o, --output <path>', 'where to write it')
    .action(async (fileId: string, opts: { output?: string }) => {
      const { creds, api: client } = requireLogin();
      const r = await callApi(creds.server, () => downloadFile(client, fileId, opts.output));
      print(`saved ${r.path} (${r.size} bytes)`);
    });
}
