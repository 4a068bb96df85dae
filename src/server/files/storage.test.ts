import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTooLargeError, LocalDiskStorage } from './storage.js';

describe('local disk storage', () => {
  const dirs: string[] = [];
  const storage = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-storage-'));
    dirs.push(dir);
    return new LocalDiskStorage(dir);
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('leaves no temp file behind when the source fails before the file is even open', async () => {
    const s = storage();
    for (let i = 0; i < 50; i++) {
      const source = new Readable({
        read() {
          this.destroy(new Error('client went away'));
        },
      });
      await expect(s.put(source, { maxBytes: 1024 })).rejects.toThrow('client went away');
    }
    // The open of a failed write would finish a moment later and create the file then.
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(s.tmpDir)).toEqual([]);
  });

  it('refuses a source past the limit and keeps nothing of it', async () => {
    const s = storage();
    await expect(s.put(Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 })).rejects.toBeInstanceOf(FileTooLargeError);
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(s.tmpDir)).toEqual([]);
    const kept = await s.put(Readable.from([Buffer.from('fits')]), { maxBytes: 1000 });
    expect(kept.size).toBe(4);
    expect(await s.stat(kept.key)).toEqual({ size: 4 });
    expect(readdirSync(s.tmpDir)).toEqual([]);
  });
});
