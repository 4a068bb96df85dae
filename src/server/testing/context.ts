import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { resolveConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { createContext } from '../server.js';

/**
 * A node's context on SQLite in a fresh temporary folder, for tests that build the app around it
 * themselves. `dispose` closes it and removes the folder.
 */
export async function tempContext(prefix: string): Promise<{ ctx: AppContext; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const ctx = await createContext(resolveConfig({ dataDir: dir, webDir: null }, {}), pino({ level: 'silent' }));
  return {
    ctx,
    dispose: async () => {
      await ctx.lifecycle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
