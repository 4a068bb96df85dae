import { readFileSync } from 'node:fs';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = import.meta.dirname;
const pkg = JSON.parse(readFileSync(path.join(here, '..', 'package.json'), 'utf8')) as { version: string };

// The web client is served by the Parley server from web/dist; in development Vite proxies the
// API (and its WebSocket) to a server started with `parley serve` on the default port.
export default defineConfig({
  root: here,
  plugins: [react()],
  define: { __PARLEY_VERSION__: JSON.stringify(pkg.version) },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api': { target: process.env.PARLEY_DEV_API ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
