import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { ParleyClient } from '../../shared/client.js';
import { resolveConfig } from '../config.js';
import type { AppContext } from '../context.js';
import { createContext } from '../server.js';
import type { TestServer } from '../testing/server.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** A port nobody listens on right now (the OS picks it; we release it for the child). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServerOptions {
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  port?: number;
  env?: Record<string, string>;
  /** Pin to CPUs with taskset, e.g. "0". */
  cpus?: string;
  /** Extra Node.js options, e.g. `--cpu-prof` for the benchmark's `--profile`. */
  nodeArgs?: string[];
}

/** A Parley node in a process of its own (`parley serve`), for crash, multi-node and load tests. */
export class ChildServer {
  private stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
    });
    proc.stdout?.resume();
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get log(): string {
    return this.stderr;
  }

  static async start(opts: ChildServerOptions): Promise<ChildServer> {
    const port = opts.port ?? (await freePort());
    const args = [...(opts.nodeArgs ?? []), '--import', 'tsx', path.join(ROOT, 'src/cli/bin.ts'), 'serve', '--port', String(port), '--data-dir', opts.dataDir];
    if (opts.databaseUrl) args.push('--database-url', opts.databaseUrl);
    if (opts.redisUrl) args.push('--redis-url', opts.redisUrl);
    const [cmd, cmdArgs] = opts.cpus ? ['taskset', ['-c', opts.cpus, process.execPath, ...args]] : [process.execPath, args];
    const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...opts.env };
    for (const k of ['PARLEY_PORT', 'PARLEY_DATABASE_URL', 'PARLEY_REDIS_URL', 'PARLEY_SMTP_URL', 'PARLEY_PUBLIC_URL']) delete env[k];
    const proc = spawn(cmd as string, cmdArgs as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new ChildServer(proc, `http://127.0.0.1:${port}`, port);
    await child.waitReady();
    return child;
  }

  private async waitReady(timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < end) {
      if (exited) throw new Error(`server exited during start:\n${this.stderr}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.proc.kill('SIGKILL');
    throw new Error(`server did not start within ${timeoutMs} ms:\n${this.stderr}`);
  }

  client(token?: string): ParleyClient {
    return new ParleyClient({ baseUrl: this.url, token, clientName: 'test/1.0.0' });
  }

  /** `kill -9`: no shutdown code runs. */
  async crash(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}

/**
 * A context on a deployment's database (for the factories), without a listening server.
 * `asTestServer` lets makeUser/makeOrg run against it, with API clients pointed at `url`.
 */
export async function openDataContext(dataDir: string, databaseUrl?: string): Promise<AppContext> {
  const config = resolveConfig({ dataDir, databaseUrl, webDir: null }, {});
  return createContext(config, pino({ level: 'silent' }));
}

export function asTestServer(ctx: AppContext, url: string): TestServer {
  return {
    ctx,
    url,
    client: (token: string) => new ParleyClient({ baseUrl: url, token, clientName: 'test/1.0.0' }),
    anon: () => new ParleyClient({ baseUrl: url, clientName: 'test/1.0.0' }),
  } as unknown as TestServer;
}
