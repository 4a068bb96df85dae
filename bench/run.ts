/**
 * `npm run bench`: Parley's load benchmark. The server runs as a child process on a temporary
 * data directory (pinned to CPU 0 when taskset exists; this load generator pins itself to CPU 1),
 * and everything is measured from the outside, over real HTTP and WebSockets.
 *
 *   npm run bench                          messaging: 2,000 sockets, 1,000 direct chats
 *   npm run bench -- --rate 500 --duration 30 --connections 2000 --chats 1000
 *   npm run bench -- --peak                the most durable messages/s (closed loop, 256 in flight:
 *                                          enough to keep a node busy; --concurrency N to change)
 *   --via ws                               send as message.send frames on the WebSocket, not POSTs
 *   --warmup 2                             seconds of the same load before measuring (0: none)
 *   npm run bench -- --postgres [url]      PostgreSQL instead of SQLite
 *   npm run bench -- --postgres --redis [url] --nodes 2
 *   npm run bench -- --idle 15000          memory per idle authenticated socket
 *   npm run bench -- --history             history paging in a 1,000,000-message chat
 *   npm run bench -- --group 1000          one message to a 1,000-member group
 *   --no-pin                               do not pin the server and the load to CPUs 0 and 1
 *   --profile DIR                          write a CPU profile of each server process into DIR
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runGroup, runHistory, runIdle } from './modes.js';
import { runMessaging } from './messaging.js';
import { startDeployment } from './lib/setup.js';

export interface BenchArgs {
  rate: number;
  duration: number;
  connections: number;
  chats: number;
  postgres?: string;
  redis?: string;
  nodes: number;
  idle?: number;
  history: boolean;
  historySize: number;
  group?: number;
  peak: boolean;
  warmup: number;
  concurrency: number;
  pin: boolean;
  profile?: string;
  via: 'http' | 'ws';
}

function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { rate: 400, duration: 30, connections: 2000, chats: 1000, nodes: 1, history: false, historySize: 1_000_000, peak: false, warmup: 2, concurrency: 256, pin: true, via: 'http' };
  const num = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i];
    const optional = () => (argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i] : undefined);
    switch (arg) {
      case '--rate': a.rate = num(value(), 'rate'); break;
      case '--duration': a.duration = num(value(), 'duration'); break;
      case '--connections': a.connections = num(value(), 'connections'); break;
      case '--chats': a.chats = num(value(), 'chats'); break;
      case '--nodes': a.nodes = num(value(), 'nodes'); break;
      case '--concurrency': a.concurrency = num(value(), 'concurrency'); break;
      case '--postgres': a.postgres = optional() ?? process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'; break;
      case '--redis': a.redis = optional() ?? process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'; break;
      case '--idle': a.idle = Number(optional() ?? 15000); break;
      case '--history': a.history = true; { const n = optional(); if (n) a.historySize = num(n, 'history'); } break;
      case '--group': a.group = Number(optional() ?? 1000); break;
      case '--peak': a.peak = true; break;
      case '--warmup': { const v = Number(value()); if (!Number.isFinite(v) || v < 0) throw new Error('--warmup needs a number of seconds'); a.warmup = v; } break;
      case '--no-pin': a.pin = false; break;
      case '--via': { const v = value(); if (v !== 'http' && v !== 'ws') throw new Error('--via is http or ws'); a.via = v; } break;
      case '--profile': { const d = value(); if (!d) throw new Error('--profile needs a folder'); a.profile = path.resolve(d); } break;
      case '--help':
        console.log('see the header of bench/run.ts for the options');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (a.nodes > 1 && !(a.redis && a.postgres)) throw new Error('--nodes 2 needs --redis and --postgres (the nodes share one database)');
  if (a.chats * 2 > a.connections) a.chats = Math.floor(a.connections / 2);
  return a;
}

/** Pins this process to CPU 1 and answers the CPU list for the server, when taskset works. */
function pinning(): string | null {
  if (os.cpus().length < 2) return null;
  try {
    execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
    return '0';
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cpus = args.pin ? pinning() : null;
  console.log(`Parley benchmark — ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}`);
  console.log(`  database: ${args.postgres ? 'PostgreSQL' : 'SQLite'}; nodes: ${args.nodes}${args.redis ? ' + Redis' : ''}; pinning: ${cpus ? 'server CPU 0, load CPU 1' : 'none'}`);
  const dep = await startDeployment({ postgres: args.postgres, redis: args.redis, nodes: args.nodes, cpus, profileDir: args.profile });
  let failed = false;
  try {
    if (args.idle) await runIdle(dep, args.idle);
    else if (args.history) await runHistory(dep, args.historySize);
    else if (args.group) await runGroup(dep, args.group);
    else failed = !(await runMessaging(dep, args));
  } finally {
    await dep.close();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
