import { StringDecoder } from 'node:string_decoder';
import { CliError } from '../util.js';

/** No password is this long: input without a line break by then is not a password. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * The first line of piped input, as soon as it has arrived: the writer may keep the pipe open
 * (a script that goes on to other things) or never end it (`yes secret |`), so reading to the
 * end would wait, or fill memory, forever. Nothing past the line is read.
 */
function firstLine(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let text = '';
    let bytes = 0;
    const finish = (err: Error | null, line?: string) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      // Paused and unreferenced, stdin no longer keeps the process alive while the pipe stays open.
      stdin.pause();
      (stdin as { unref?: () => void }).unref?.();
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      text += decoder.write(chunk);
      const end = text.indexOf('\n');
      if (end >= 0) return finish(null, text.slice(0, end).replace(/\r$/, ''));
      if (bytes > MAX_LINE_BYTES) finish(new CliError('The password read from standard input has no line end within 64 KiB', 2));
    };
    const onEnd = () => finish(null, (text + decoder.end()).replace(/\r$/, ''));
    const onError = (err: Error) => finish(new CliError(`Cannot read the password from standard input: ${err.message}`, 2));
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
  });
}

/**
 * Reads a password: hidden typing on a terminal, or the first line of piped input
 * (`echo secret | parley login …`).
 */
export async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const line = await firstLine(stdin);
    if (!line) throw new CliError('No password given: pass --password or type it when asked', 2);
    return line;
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            return reject(new CliError('Cancelled', 130));
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}
