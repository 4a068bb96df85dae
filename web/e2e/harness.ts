import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../../src/server/testing/server.js';

/**
 * Browser tests: a real Parley node serving the built web client, driven by headless Chromium
 * (Debian's package; `PARLEY_CHROMIUM` overrides the path).
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const WEB_DIR = path.join(ROOT, 'web', 'dist');
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots');

const CANDIDATES = [process.env.PARLEY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);

export function chromiumPath(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * Whether the browser suites can run. Without Chromium they are skipped with a loud warning,
 * unless PARLEY_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
 */
export function browserAvailable(): boolean {
  if (chromiumPath()) return true;
  if (process.env.PARLEY_REQUIRE_BROWSER === '1') {
    throw new Error(`PARLEY_REQUIRE_BROWSER=1 but no Chromium found (looked at ${CANDIDATES.join(', ')}); install it: apt-get install -y chromium`);
  }
  console.warn(
    [
      '',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!!  BROWSER TESTS SKIPPED: no Chromium (apt-get install -y chromium,  !!',
      '!!  or set PARLEY_CHROMIUM). CI sets PARLEY_REQUIRE_BROWSER=1.        !!',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '',
    ].join('\n'),
  );
  return false;
}

/** Builds the web client when web/dist is missing (`npm test` builds it before the suites). */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(path.join(WEB_DIR, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

export interface ContextOptions {
  phone?: boolean;
  /** An IANA zone (`Pacific/Kiritimati`): the browser's local time for dates shown and picked. */
  timezoneId?: string;
}

export interface E2E {
  t: TestServer;
  browser: Browser;
  /** A fresh browser context (its own cookies), optionally phone-sized or in another time zone. */
  context(opts?: ContextOptions): Promise<BrowserContext>;
  /** A page signed in as the holder of `token` (the session cookie set directly). */
  signedIn(token: string, opts?: ContextOptions & { path?: string }): Promise<Page>;
  /**
   * Closes the pages a test opened. Called after each test: pages left open keep their sockets,
   * reconnect timers and rendering going, and slow every later test of the file.
   */
  closeContexts(): Promise<void>;
  close(): Promise<void>;
}

export async function startE2E(): Promise<E2E> {
  await ensureWebBuilt();
  const t = await startTestServer('sqlite', { config: { webDir: WEB_DIR } });
  const browser = await chromium.launch({
    executablePath: chromiumPath()!,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const contexts: BrowserContext[] = [];
  const context = async (opts: ContextOptions = {}) => {
    const ctx = await browser.newContext({
      baseURL: t.url,
      viewport: opts.phone ? { width: 390, height: 800 } : { width: 1280, height: 800 },
      ...(opts.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
    });
    ctx.setDefaultTimeout(10_000);
    contexts.push(ctx);
    return ctx;
  };
  return {
    t,
    browser,
    context,
    async signedIn(token, opts = {}) {
      const ctx = await context(opts);
      await ctx.addCookies([{ name: 'parley_session', value: token, url: t.url }]);
      const page = await ctx.newPage();
      await page.goto(opts.path ?? '/chat');
      return page;
    },
    async closeContexts() {
      for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await t.close();
    },
  };
}

/** Saves a screenshot under artifacts/screenshots/<test>/<step>.png. */
export async function shot(page: Page, test: string, step: string): Promise<void> {
  const dir = path.join(SHOTS, test);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${step}.png`) });
}
