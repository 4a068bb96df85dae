import { constants as fsc } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { api } from '../../shared/api/index.js';
import type { FileInfo } from '../../shared/api/shapes.js';
import { ParleyClient } from '../../shared/client.js';
import { callApi, requireLogin } from '../client/session.js';
import { CliError, print } from '../util.js';
import { downloadFile } from './download.js';
import { cannotRead, Progress, Stall } from './transfer.js';

/** Streams a local file to the server (never read whole into memory), showing progress. */
export async function uploadFile(client: ParleyClient, conversationId: string, filePath: string): Promise<FileInfo> {
  let handle: FileHandle;
  try {
    // Opened before anything is sent, so a file that cannot be read is said plainly. Non-blocking:
    // opening a named pipe would otherwise wait for a writer before it can be refused below.
    handle = await fs.open(filePath, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(filePath, err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new CliError(`${filePath} is not a file`, 2);
    const name = path.basename(filePath);
    const stall = new Stall(client.timeoutMs);
    const progress = new Progress(`↑ ${name}`, st.size, () => stall.touch());
    const source = handle.createReadStream({ autoClose: false });
    let readError: unknown;
    source.once('error', (err) => (readError = err));
    // pipeline, unlike pipe(), passes a read error on: the request's body fails instead of the
    // error being thrown where nothing catches it. Its outcome is read through the request's.
    const piping = pipeline(source, progress).catch(() => undefined);
    let info: FileInfo;
    try {
      const res = await fetch(client.url(api.files.upload.path, { conversationId, name }), {
        method: 'POST',
        headers: client.headers({ 'content-type': 'application/octet-stream', 'content-length': String(st.size) }),
        body: Readable.toWeb(progress) as ReadableStream<Uint8Array>,
        duplex: 'half',
        signal: stall.signal,
      } as RequestInit);
      // Sent whole: from here the wait is for the server's answer.
      stall.touch();
      info = (await ParleyClient.read(res)) as FileInfo;
    } catch (err) {
      if (readError) throw cannotRead(filePath, readError);
      throw err;
    } finally {
      stall.stop();
      source.destroy();
      await piping;
    }
    // What the server stored is not the file when reading it failed (a request of a length
    // announced as 0 may be answered before the read fails).
    if (readError) throw cannotRead(filePath, readError);
    return info;
  } finally {
    await handle.close();
  }
}

/** Uploads each file in turn; answers their ids for a message. */
export async function uploadFiles(client: ParleyClient, server: string, conversationId: string, paths: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of paths) ids.push((await callApi(server, () => uploadFile(client, conversationId, p))).id);
  return ids;
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
    .option('-o, --output <path>', 'where to write it: a file (replaced once the download is complete) or a directory')
    .action(async (fileId: string, opts: { output?: string }) => {
      const { creds, api: client } = requireLogin();
      const r = await callApi(creds.server, () => downloadFile(client, fileId, opts.output));
      print(`saved ${r.path} (${r.size} bytes)`);
    });
}
