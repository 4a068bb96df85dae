/**
 * `npx tsx bench/floor.ts`: the transport floor of this machine, for reading `npm run bench`.
 *
 * A bare relay in a process of its own, pinned like the Parley server: Node's HTTP server and
 * `ws`, the same 2,000 sockets and 1,000 pairs, and per message what Parley's transport does —
 * parse the JSON, answer the sender (an HTTP response, or a frame on its socket), and write one
 * `message.created` frame to each of the two members' sockets. No storage, no authentication, no
 * rules. Whatever it reaches is an upper bound for any server in Node on this machine with this
 * load; Parley's figures are read against it.
 *
 * `--rate N` sends at a fixed N messages/s instead of as fast as 64 sends in flight allow: the
 * floor's CPU per message at the rate `npm run bench -- --rate N` is read against (fewer messages
 * per wake-up cost more each).
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeSockets, connectSockets, openLoop, sendMessage, type Answer } from './lib/load.js';
import { cpuSecondsOf, line } from './lib/stats.js';

const USERS = 2000;
const SECONDS = 10;
const IN_FLIGHT = 64;

/** The relay: users are `u<i>`, chat `c<i>` is between u(2i) and u(2i+1). */
function serve(port: number): void {
  const sockets = new Map<string, WebSocket>();
  let seq = 0;
  const relay = (from: string, conversationId: string, clientId: string, body: string, answer: (message: string) => void, origin?: WebSocket) => {
    const pair = Number(conversationId.slice(1));
    const message = { id: `m${++seq}`, conversationId, seq, clientId, senderId: from, body, files: [], createdAt: new Date().toISOString() };
    answer(JSON.stringify(message));
    const event = Buffer.from(JSON.stringify({ type: 'message.created', conversationId, message }));
    for (const u of [`u${2 * pair}`, `u${2 * pair + 1}`]) {
      const ws = sockets.get(u);
      if (ws && ws !== origin) ws.send(event, { binary: false });
    }
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const b = JSON.parse(Buffer.concat(chunks).toString()) as { clientId: string; body: string };
      const from = (req.headers.authorization ?? '').slice(7);
      const conversationId = (req.url ?? '').split('/')[4] ?? '';
      relay(from, conversationId, b.clientId, b.body, (json) => {
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
        res.end(json);
      });
    });
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const user = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(user, ws);
      ws.send(JSON.stringify({ type: 'hello', userId: user, connectionId: user }));
      ws.on('message', (data: Buffer) => {
        const f = JSON.parse(data.toString()) as { conversationId: string; clientId: string; body: string };
        relay(user, f.conversationId, f.clientId, f.body, (json) => ws.send(`{"type":"message.sent","conversationId":"${f.conversationId}","clientId":"${f.clientId}","created":true,"message":${json}}`), ws);
      });
    });
  });
  server.listen(port, '127.0.0.1', () => process.send?.('ready'));
}

async function measure(url: string, pid: number, via: 'http' | 'ws', rate: number | null): Promise<void> {
  const answers = new Map<string, (a: Answer) => void>();
  let delivered = 0;
  const sockets = await connectSockets(
    [url],
    Array.from({ length: USERS }, (_, i) => ({ owner: i, token: `u${i}` })),
    () => delivered++,
    (a) => {
      answers.get(a.clientId)?.(a);
      answers.delete(a.clientId);
    },
  );
  let n = 0;
  let acked = 0;
  const send = async (i: number) => {
    const pair = i % (USERS / 2);
    const from = (Math.floor(i / (USERS / 2)) % 2) + 2 * pair;
    const clientId = `f${i}`;
    const body = `bench message ${i} ${'x'.repeat(60)}`;
    if (via === 'http') {
      const r = await sendMessage(url, `u${from}`, `c${pair}`, clientId, body);
      if (r.status === 201) acked++;
      return;
    }
    await new Promise<void>((resolve) => {
      answers.set(clientId, () => resolve());
      sockets[from]!.send(JSON.stringify({ type: 'message.send', conversationId: `c${pair}`, clientId, body }));
    });
    acked++;
  };
  const run = async (seconds: number) => {
    if (rate) return openLoop(rate, seconds, () => send(n++));
    const end = performance.now() + seconds * 1000;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) await send(n++);
    }));
  };
  await run(2);
  acked = 0;
  const cpu0 = cpuSecondsOf(pid);
  const t0 = performance.now();
  await run(SECONDS);
  const secs = (performance.now() - t0) / 1000;
  const cpu = cpuSecondsOf(pid) - cpu0;
  line(`bare relay, ${via === 'http' ? 'POST' : 'message.send frames'}`, `${(acked / secs).toFixed(0)} msg/s, ${((cpu / acked) * 1e6).toFixed(1)} µs server CPU per message (${delivered} frames delivered)`);
  closeSockets(sockets);
}

async function main(): Promise<void> {
  const portAt = process.argv.indexOf('--serve');
  if (portAt >= 0) return serve(Number(process.argv[portAt + 1]));
  const rateAt = process.argv.indexOf('--rate');
  const rate = rateAt >= 0 ? Number(process.argv[rateAt + 1]) : null;
  if (rate !== null && !(rate > 0)) throw new Error('--rate needs a positive number of messages/s');
  const pinned = os.cpus().length >= 2;
  if (pinned) execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', String(port)];
  const child = pinned
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  console.log(`Transport floor — ${os.cpus().length} CPUs, Node ${process.version}; relay ${pinned ? 'on CPU 0, load on CPU 1' : 'unpinned'}; ${USERS} sockets, ${rate ? `${rate} msg/s` : `${IN_FLIGHT} sends in flight`}, ${SECONDS} s each`);
  try {
    for (const via of ['http', 'ws'] as const) await measure(`http://127.0.0.1:${port}`, child.pid!, via, rate);
  } finally {
    child.kill();
  }
  process.exit(0);
}

void main();
