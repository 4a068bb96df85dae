#!/usr/bin/env node
// The installed entry point runs the compiled CLI; `npm run build` produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));
if (!existsSync(compiled)) {
  console.error('parley: the server is not built yet. Run `npm run build` (or `npm start`) first.');
  process.exit(1);
}
await import(pathToFileURL(compiled).href);
