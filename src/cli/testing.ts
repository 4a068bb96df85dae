import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, vi } from 'vitest';
import { main } from './main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `parley <argv>` in this process, capturing what it writes to stdout and stderr. */
export async function runCli(argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const capture = (append: (s: string) => void) => (chunk: string | Uint8Array, ...rest: unknown[]) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    // write(chunk, cb) and write(chunk, encoding, cb): callers waiting on the callback go on.
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture((s) => (out += s)) as typeof process.stdout.write);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture((s) => (err += s)) as typeof process.stderr.write);
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/**
 * Gives every test of the enclosing suite a fresh, empty credentials folder for the user client
 * (`PARLEY_CONFIG_DIR`), so sign-ins never leak between tests or into the real home folder.
 */
export function useTempConfigDir(prefix = 'parley-cli-'): void {
  const saved = process.env.PARLEY_CONFIG_DIR;
  beforeEach(() => {
    process.env.PARLEY_CONFIG_DIR = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PARLEY_CONFIG_DIR;
    else process.env.PARLEY_CONFIG_DIR = saved;
  });
}
