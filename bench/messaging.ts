import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { BenchArgs } from './run.js';
import { checkIntegrity, closeSockets, connectSockets, openLoop, sendMessage, type Answer } from './lib/load.js';
import { printNodeWindow, scrapeMetrics } from './lib/metrics.js';
import { seedUsers, startDirectChats, type Deployment } from './lib/setup.js';
import { cpuSecondsOf, kib, line, mib, ms, rssOf, summary } from './lib/stats.js';

const LOOP_TICK_MS = 5;

/**
 * Messaging under load: every user has a socket; messages go to the direct chats round-robin,
 * at a fixed rate (open loop) or as fast as `--concurrency` requests in flight allow (`--peak`).
 * Latency is end to end: the sender's POST starts → the recipient's socket has the event.
 * With `--via ws` messages are sent as `message.send` frames on the sender's own socket instead
 * of POSTs, and acknowledged by its `message.sent`.
 */
export async function runMessaging(dep: Deployment, args: BenchArgs): Promise<boolean> {
  const t0 = performance.now();
  const users = await seedUsers(dep.ctx, args.connections);
  const nodeUrls = dep.nodes.map((n) => n.url);
  const chats = await startDirectChats(nodeUrls[0]!, users, args.chats);
  console.log(`  setup: ${users.length} users, ${chats.length} direct chats in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const pids = dep.nodes.map((n) => n.pid);
  const rssBase = pids.map(rssOf);
  const pending = new Map<string, { start: number; recipient: number }>();
  const latencies: number[] = [];
  let deliveries = 0;
  const answers = new Map<string, (a: Answer) => void>();
  const sockets = await connectSockets(
    nodeUrls,
    users.map((u, i) => ({ owner: i, token: u.tokens[0]! })),
    (d) => {
      const p = pending.get(d.clientId);
      if (!p || p.recipient !== d.owner) return;
      pending.delete(d.clientId);
      deliveries++;
      latencies.push(d.at - p.start);
    },
    (a) => {
      const w = answers.get(a.clientId);
      answers.delete(a.clientId);
      w?.(a);
    },
  );
  await new Promise((r) => setTimeout(r, 2000));
  const rssIdle = pids.map(rssOf);
  const idleDelta = rssIdle.reduce((s, v, i) => s + v - rssBase[i]!, 0);
  console.log(`  ${sockets.length} sockets open`);

  const acks: number[] = [];
  const failures = new Map<number | string, number>();
  let acked = 0;
  let warmAcked = 0;
  let launched = 0;
  const tag = randomBytes(3).toString('hex');
  const fire = async (n: number) => {
    const chat = chats[n % chats.length]!;
    const fromA = Math.floor(n / chats.length) % 2 === 0;
    const sender = fromA ? chat.a : chat.b;
    const recipient = fromA ? chat.b : chat.a;
    const clientId = `${tag}-${n}`;
    const url = nodeUrls[n % nodeUrls.length]!;
    pending.set(clientId, { start: performance.now(), recipient });
    const body = `bench message ${n} ${'x'.repeat(60)}`;
    try {
      const r = args.via === 'ws' ? await sendFrame(sender, chat.id, clientId, body) : await sendMessage(url, users[sender]!.tokens[0]!, chat.id, clientId, body);
      if (r.status === 201) {
        acked++;
        acks.push(r.ackedAt - r.startedAt);
      } else {
        pending.delete(clientId);
        failures.set(r.status, (failures.get(r.status) ?? 0) + 1);
      }
    } catch (err) {
      pending.delete(clientId);
      const code = (err as { code?: string }).code ?? 'error';
      failures.set(code, (failures.get(code) ?? 0) + 1);
    }
  };

  const sendFrame = (sender: number, conversationId: string, clientId: string, body: string) =>
    new Promise<{ status: number; startedAt: number; ackedAt: number }>((resolve) => {
      const startedAt = performance.now();
      answers.set(clientId, (a) => resolve({ status: a.status, startedAt, ackedAt: performance.now() }));
      sockets[sender]!.send(JSON.stringify({ type: 'message.send', conversationId, clientId, body }));
    });

  /** Sends for `seconds`: closed loop (`--peak`) or at a fixed rate. */
  const drive = async (seconds: number) => {
    if (args.peak) {
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: args.concurrency }, async () => {
          while (performance.now() < end) await fire(launched++);
        }),
      );
      return;
    }
    const skipped = 'skipped (5000 in flight)';
    await openLoop(args.rate, seconds, () => fire(launched++), {
      maxInFlight: 5000,
      onSkip: () => {
        failures.set(skipped, (failures.get(skipped) ?? 0) + 1);
        launched++;
      },
    });
  };

  // Warm-up at the same load, not measured: connections, caches and the JIT settle first, so
  // the figures describe the sustained state. Its messages count in the integrity check.
  if (args.warmup > 0) {
    console.log(`  warming up for ${args.warmup} s…`);
    await drive(args.warmup);
    const settleBy = performance.now() + 5000;
    while (pending.size > 0 && performance.now() < settleBy) await new Promise((r) => setTimeout(r, 20));
    warmAcked = acked;
    acked = 0;
    deliveries = 0;
    acks.length = 0;
    latencies.length = 0;
    failures.clear();
  }
  const launchedBefore = launched;

  // The load generator's own stalls (its garbage collection, a burst of frames) delay the time it
  // stamps on an arrival: they are reported so a tail can be told apart from the server's.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TICK_MS });
  loopDelay.enable();
  const scrapesBefore = await Promise.all(nodeUrls.map(scrapeMetrics));
  const cpu0 = pids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  const start = performance.now();
  const mode = `${args.peak ? `closed loop, ${args.concurrency} in flight` : `${args.rate} msg/s`}, ${args.via === 'ws' ? 'message.send frames on the WebSocket' : 'POST'}`;
  console.log(`  sending for ${args.duration} s (${mode})…`);
  await drive(args.duration);
  const elapsed = (performance.now() - start) / 1000;
  loopDelay.disable();
  const cpu1 = pids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  const scrapesAfter = await Promise.all(nodeUrls.map(scrapeMetrics));
  const rssEnd = pids.map(rssOf);
  // Deliveries still travelling get five seconds.
  const wait = performance.now() + 5000;
  while (pending.size > 0 && performance.now() < wait) await new Promise((r) => setTimeout(r, 20));
  closeSockets(sockets);

  const integrity = await checkIntegrity(dep.ctx, chats.map((c) => c.id));
  const lat = summary(latencies);
  const ack = summary(acks);
  console.log('\nResults');
  line('messages acknowledged (201)', `${acked} of ${launched - launchedBefore} in ${elapsed.toFixed(1)} s${warmAcked ? ` (after ${warmAcked} in the warm-up)` : ''}`);
  line('sustained durable throughput', `${(acked / elapsed).toFixed(0)} msg/s`);
  if (failures.size) line('failed sends', [...failures].map(([k, v]) => `${k}: ${v}`).join(', '));
  line('end-to-end latency p50 / p95 / p99', `${ms(lat.p50)} / ${ms(lat.p95)} / ${ms(lat.p99)} (max ${ms(lat.max)})`);
  line('POST acknowledgement p50 / p99', `${ms(ack.p50)} / ${ms(ack.p99)}`);
  // The monitor records the time between its ticks: a loop never late reads one tick.
  const late = (ns: number) => ms(Math.max(0, ns / 1e6 - LOOP_TICK_MS));
  line('load generator event-loop delay p99', `${late(loopDelay.percentile(99))} (max ${late(loopDelay.max)})`);
  line('delivered to recipients', `${deliveries} of ${acked}${pending.size ? ` (${pending.size} not delivered)` : ''}`);
  line('rows in the database', `${integrity.rows} in ${integrity.conversations} chats; seq gaps: ${integrity.gaps}; duplicates: ${integrity.duplicateClientIds}`);
  line('server RSS (idle sockets → end)', `${mib(rssIdle.reduce((s, v) => s + v, 0))} → ${mib(rssEnd.reduce((s, v) => s + v, 0))}`);
  line('memory per idle connection', kib(idleDelta / sockets.length));
  line('server CPU per message', `${(((cpu1 - cpu0) / Math.max(1, acked)) * 1000).toFixed(3)} ms (${(cpu1 - cpu0).toFixed(1)} CPU-s)`);
  // What each node saw of the same window: how its messages were batched, what its storage waited
  // on, and how late its event loop ran (a tail that the CPU figure alone does not explain).
  scrapesAfter.forEach((after, i) => printNodeWindow(nodeUrls.length > 1 ? `node ${i + 1}: ` : 'server ', scrapesBefore[i]!, after));
  const ok = integrity.rows === acked + warmAcked && integrity.gaps === 0 && integrity.duplicateClientIds === 0 && pending.size === 0;
  console.log(ok ? '\nOK: no message lost or duplicated; every one delivered.' : '\nPROBLEM: see the figures above.');
  return ok;
}
