import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDb } from './testing/each-db.js';

// A stand-in for web/dist: a tiny index.html and one asset, so the test never needs a build.
const webDir = mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
const INDEX = '<!doctype html><title>Parley test client</title><div id="root"></div>';
mkdirSync(path.join(webDir, 'assets'));
writeFileSync(path.join(webDir, 'index.html'), INDEX);
writeFileSync(path.join(webDir, 'assets', 'app-1234.js'), 'console.log("parley");');

describeEachDb(
  'web client',
  (t) => {
    it('serves index.html at /', async () => {
      const res = await fetch(`${t().url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toBe(INDEX);
    });

    it.each(['/chat/abc', '/chat', '/today', '/admin/users', '/verify?token=abc.def', '/signup?email=ann%40acme.example'])(
      'answers the client-side route %s with index.html',
      async (route) => {
        const res = await fetch(`${t().url}${route}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        // The shell must be revalidated so a new deployment's asset names are picked up.
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(await res.text()).toBe(INDEX);
      },
    );

    it('serves an existing asset', async () => {
      const res = await fetch(`${t().url}/assets/app-1234.js`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect(await res.text()).toBe('console.log("parley");');
    });

    it.each(['/assets/nope.js', '/favicon.ico', '/assets/app-1234.js.map'])('answers a missing asset %s with a 404, not the app', async (url) => {
      const res = await fetch(`${t().url}${url}`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('Parley test client');
    });

    it.each([
      ['GET', '/api/unknown'],
      ['GET', '/api'],
      ['GET', '/api/v1/nothing/here'],
      ['POST', '/api/v1/nothing'],
      ['POST', '/chat/abc'],
    ])('keeps the JSON 404 for %s %s', async (method, url) => {
      const res = await fetch(`${t().url}${url}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toMatchObject({ error: { code: 'route_not_found' } });
    });

    it('still answers the API and operations endpoints', async () => {
      expect((await fetch(`${t().url}/healthz`)).status).toBe(200);
      expect((await fetch(`${t().url}/metrics`)).status).toBe(200);
      expect((await fetch(`${t().url}/api/v1/me`)).status).toBe(401);
    });

    it('never serves a file outside the web directory', async () => {
      const port = Number(new URL(t().url).port);
      for (const url of ['/assets/../../package.json', '/../package.json', '/assets/%2e%2e/%2e%2e/package.json']) {
        const text = await new Promise<string>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1');
          let out = '';
          s.on('data', (c: Buffer) => (out += c.toString()));
          s.on('close', () => resolve(out));
          s.on('error', reject);
          s.write(`GET ${url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        });
        expect(text).toMatch(/^HTTP\/1\.1 4\d\d /);
        expect(text).not.toContain('"devDependencies"');
      }
    });
  },
  { config: { webDir } },
);

describeEachDb(
  'no web client built',
  (t) => {
    it('serves the API only: / is a JSON 404', async () => {
      const res = await fetch(`${t().url}/`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'route_not_found' } });
      expect((await fetch(`${t().url}/healthz`)).status).toBe(200);
    });
  },
  { config: { webDir: path.join(webDir, 'does-not-exist') } },
);
