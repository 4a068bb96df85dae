import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { closeSockets, connectSockets, sendMessage } from './lib/load.js';
import { routeTimes, scrapeMetrics } from './lib/metrics.js';
import { request, seedUsers, startDirectChats, type Deployment } from './lib/setup.js';
import { kib, line, mib, ms, rssOf, summary } from './lib/stats.js';

const settle = (msDelay: number) => new Promise((r) => setTimeout(r, msDelay));

/** `--idle N`: N authenticated sockets doing nothing; the server's memory per socket. */
export async function runIdle(dep: Deployment, count: number): Promise<void> {
  // At most 100 sockets per user are accepted; 10 sessions per user stays well inside that.
  const perUser = 10;
  const users = await seedUsers(dep.ctx, Math.ceil(count / perUser), perUser);
  const tokens = users.flatMap((u, i) => u.tokens.map((token) => ({ owner: i, token }))).slice(0, count);
  const pid = dep.nodes[0]!.pid;
  await settle(1000);
  const before = rssOf(pid);
  const t0 = performance.now();
  const sockets = await connectSockets(
    dep.nodes.map((n) => n.url),
    tokens,
    () => undefined,
    undefined,
    100,
  );
  const connectSecs = (performance.now() - t0) / 1000;
  await settle(5000);
  const after = rssOf(pid);
  const metrics = await (await fetch(`${dep.nodes[0]!.url}/metrics`)).text();
  const open = /parley_websocket_connections (\d+)/.exec(metrics)?.[1];
  console.log('\nResults (idle connections)');
  line('sockets open (server gauge)', `${sockets.length} (${open})`);
  line('connect time', `${connectSecs.toFixed(1)} s (${(sockets.length / connectSecs).toFixed(0)}/s)`);
  line('server RSS before → after', `${mib(before)} → ${mib(after)}`);
  line('memory per idle connection', kib((after - before) / sockets.length));
  closeSockets(sockets);
}

/** `--history`: one chat with a million messages; the latency of 50-message history pages. */
export async function runHistory(dep: Deployment, size: number): Promise<void> {
  const users = await seedUsers(dep.ctx, 2);
  const url = dep.nodes[0]!.url;
  const [chat] = await startDirectChats(url, users, 1);
  const t0 = performance.now();
  await seedMessages(dep, chat!.id, users[0]!.id, size);
  console.log(`  seeded ${size} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const token = users[1]!.tokens[0]!;
  const base = `${url}/api/v1/conversations/${chat!.id}/messages`;
  const timed = async (q: string) => {
    const s = performance.now();
    const r = await request(`${base}?${q}`, 'GET', token);
    if (r.status !== 200) throw new Error(`history failed: ${r.status} ${r.text}`);
    const items = (JSON.parse(r.text) as { items: unknown[] }).items;
    if (items.length !== 50) throw new Error(`expected 50 messages, got ${items.length}`);
    return performance.now() - s;
  };
  for (let i = 0; i < 50; i++) await timed('limit=50');
  const newest: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  // The same round trip to a route that does next to nothing (a one-row database check): what of
  // a page's time is this machine's HTTP over loopback (both processes, the kernel), not history.
  const bare: number[] = [];
  const scraped = await scrapeMetrics(url);
  for (let i = 0; i < 500; i++) {
    newest.push(await timed('limit=50'));
    before.push(await timed(`before=${51 + Math.floor(Math.random() * (size - 51))}&limit=50`));
    after.push(await timed(`after=${Math.floor(Math.random() * (size - 51))}&limit=50`));
    const s = performance.now();
    await request(`${url}/healthz`, 'GET', token);
    bare.push(performance.now() - s);
  }
  const node = routeTimes(scraped, await scrapeMetrics(url), '/api/v1/conversations/:id/messages');
  console.log(`\nResults (history of a ${size}-message chat, pages of 50)`);
  for (const [name, v] of [
    ['newest page p50 / p99', newest],
    ['before=<random> p50 / p99', before],
    ['after=<random> p50 / p99', after],
    ['a bare GET /healthz p50 / p99', bare],
  ] as const) {
    const s = summary(v);
    line(name, `${ms(s.p50)} / ${ms(s.p99)}`);
  }
  line("the node's own time for the pages", node);
}

/** Bulk rows straight into the database: the seed is not what is measured. */
async function seedMessages(dep: Deployment, conversationId: string, senderId: string, size: number): Promise<void> {
  const now = new Date().toISOString();
  if (dep.ctx.dialect === 'postgres') {
    await sql`INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at)
      SELECT 'seed' || g, ${conversationId}, g, ${senderId}, 'seed-' || g, 'history message ' || g, ${now}
      FROM generate_series(1, ${size}) AS g`.execute(dep.ctx.db);
  } else {
    const db = dep.ctx.dbHandle.sqlite!;
    const insert = db.prepare('INSERT INTO messages (id, conversation_id, seq, sender_id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i <= to; i++) insert.run(`seed${i}`, conversationId, i, senderId, `seed-${i}`, `history message ${i}`, now);
    });
    for (let i = 1; i <= size; i += 50_000) batch(i, Math.min(size, i + 49_999));
  }
  await dep.ctx.db.updateTable('conversations').set({ last_seq: size }).where('id', '=', conversationId).execute();
}

/** `--group N`: one group chat of N members, all connected; delivery latency to all of them. */
export async function runGroup(dep: Deployment, members: number): Promise<void> {
  const users = await seedUsers(dep.ctx, members);
  const url = dep.nodes[0]!.url;
  const res = await request(`${url}/api/v1/conversations`, 'POST', users[0]!.tokens[0]!, {
    title: 'Everyone',
    memberIds: users.slice(1).map((u) => u.id),
  });
  if (res.status !== 201) throw new Error(`creating the group failed: ${res.status} ${res.text}`);
  const conversationId = (JSON.parse(res.text) as { id: string }).id;
  const sent = new Map<string, { start: number; sender: number }>();
  const perMessage = new Map<string, number[]>();
  const coldMessages = new Map<string, number[]>();
  const sockets = await connectSockets(
    [url],
    users.map((u, i) => ({ owner: i, token: u.tokens[0]! })),
    (d) => {
      const s = sent.get(d.clientId);
      if (!s || s.sender === d.owner) return;
      (perMessage.get(d.clientId) ?? coldMessages.get(d.clientId))!.push(d.at - s.start);
    },
  );
  await settle(1000);
  // The first messages after start run the fan-out in unoptimized code (up to about 50 ms to the last
  // member, against about 15 once warm): a few go first, unmeasured, as the messaging benchmark
  // warms up, so the figures describe a node that has been up a while.
  const warmup = 10;
  const count = 100;
  const tag = randomBytes(3).toString('hex');
  for (let i = 0; i < warmup + count; i++) {
    const sender = Math.floor(Math.random() * users.length);
    const clientId = `${tag}-${i}`;
    sent.set(clientId, { start: performance.now(), sender });
    (i < warmup ? coldMessages : perMessage).set(clientId, []);
    const r = await sendMessage(url, users[sender]!.tokens[0]!, conversationId, clientId, `to everyone ${i}`);
    if (r.status !== 201) throw new Error(`send failed: ${r.status}`);
    // Well apart (a message reaches everyone in about 15 ms), so each is measured alone.
    await settle(200);
  }
  await settle(2000);
  closeSockets(sockets);
  const all = [...perMessage.values()].flat();
  const complete = [...perMessage.values()].filter((v) => v.length === users.length - 1).length;
  const last = summary([...perMessage.values()].map((v) => Math.max(...v)));
  const s = summary(all);
  console.log(`\nResults (group of ${members}, ${count} messages after ${warmup} unmeasured)`);
  line('deliveries', `${all.length} of ${count * (users.length - 1)}; messages reaching everyone: ${complete}/${count}`);
  line('per-recipient latency p50 / p99', `${ms(s.p50)} / ${ms(s.p99)}`);
  line('last recipient of a message p50 / p99', `${ms(last.p50)} / ${ms(last.p99)}`);
  const cold = [...coldMessages.values()].map((v) => (v.length > 0 ? Math.max(...v) : NaN));
  line('warm-up messages, last recipient', cold.map((v) => ms(v)).join(', '));
}
