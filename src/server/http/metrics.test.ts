import { describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { TestSocket } from '../realtime/test-socket.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';
import { Counter, Histogram, Metrics } from './metrics.js';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '[-+]?(?:\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|NaN|Inf)';
const SAMPLE = new RegExp(`^(${NAME})(\\{${LABEL}(?:,${LABEL})*\\})? (${VALUE})$`);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text format (0.0.4): every line is a HELP, a TYPE or a
 * sample `name{labels} value`; every sample belongs to a family declared with HELP and TYPE
 * before it. Throws on the first line that breaks a rule.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  expect(text.endsWith('\n')).toBe(true);
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const m = new RegExp(`^# HELP (${NAME}) \\S.*$`).exec(line);
      if (!m) throw new Error(`bad HELP line: ${line}`);
      helps.add(m[1]!);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      if (!m) throw new Error(`bad TYPE line: ${line}`);
      if (types.has(m[1]!)) throw new Error(`TYPE given twice for ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`bad sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) throw new Error(`sample ${name} has no TYPE line before it`);
    if (!helps.has(family)) throw new Error(`sample ${name} has no HELP line before it`);
    if (family !== name && types.get(family) !== 'histogram') throw new Error(`${name} is not part of a histogram`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').slice(1, -1).matchAll(new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`, 'g'))) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = m[3]!;
    samples.push({ name, labels, value: raw.endsWith('Inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw) });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);
}

describe('metrics registry', () => {
  it('renders valid exposition text, escaping label values', () => {
    const m = new Metrics();
    const c = m.add('test_weird_total', new Counter('labels with "quotes", \\ and new\nlines'));
    c.inc({ path: 'a"b\\c\nd' }, 2);
    const { samples } = parseExposition(m.render());
    expect(value(samples, 'test_weird_total', { path: 'a"b\\c\nd' })).toBe(2);
  });

  it('keeps histogram buckets cumulative with +Inf equal to the count', () => {
    const m = new Metrics();
    const h = m.add('test_latency_seconds', new Histogram('latency', [0.1, 1]));
    for (const v of [0.05, 0.5, 0.5, 5]) h.observe(v, { route: '/x' });
    const { samples } = parseExposition(m.render());
    expect(find(samples, 'test_latency_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 1],
      ['1', 3],
      ['+Inf', 4],
    ]);
    expect(value(samples, 'test_latency_seconds_count')).toBe(4);
    expect(value(samples, 'test_latency_seconds_sum')).toBeCloseTo(6.05);
  });
});

describeEachDb('/metrics', (t, kind) => {
  async function scrape() {
    const res = await fetch(`${t().url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await res.text());
  }

  it('is valid Prometheus text with the families Parley promises', async () => {
    const { types } = await scrape();
    expect(types.get('parley_http_requests_total')).toBe('counter');
    expect(types.get('parley_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('parley_websocket_connections')).toBe('gauge');
    expect(types.get('parley_messages_sent_total')).toBe('counter');
    expect(types.get('parley_message_batch_size')).toBe('histogram');
    expect(types.get('parley_message_store_seconds')).toBe('histogram');
    expect(types.get('parley_wal_flush_seconds')).toBe('histogram');
    expect(types.get('parley_wal_checkpoint_seconds')).toBe('histogram');
    expect(types.get('parley_wal_hold_seconds')).toBe('histogram');
    expect(types.get('parley_event_loop_delay_seconds')).toBe('histogram');
  });

  it("parley_event_loop_delay_seconds counts a second in which the node's event loop was blocked", async () => {
    const before = (await scrape()).samples;
    // The node runs in this process: blocking here blocks it.
    const until = performance.now() + 80;
    while (performance.now() < until) {
      // busy: no timer can run
    }
    // The second's worst delay is recorded when that second ends.
    await new Promise((r) => setTimeout(r, 1200));
    const after = (await scrape()).samples;
    const d = (labels: Record<string, string>, name = 'parley_event_loop_delay_seconds_bucket') => value(after, name, labels) - value(before, name, labels);
    const seconds = value(after, 'parley_event_loop_delay_seconds_count') - value(before, 'parley_event_loop_delay_seconds_count');
    expect(seconds).toBeGreaterThanOrEqual(1);
    // At least one of those seconds was late by more than 50 ms (the block), so fewer than all
    // of them fall in the buckets up to 0.05 s.
    expect(d({ le: '0.05' })).toBeLessThan(seconds);
    expect(d({ le: '+Inf' })).toBe(seconds);
    // Reading the figures resets nothing: the next scrape still counts that slow second.
    const slowSeconds = (x: Sample[]) => value(x, 'parley_event_loop_delay_seconds_count') - value(x, 'parley_event_loop_delay_seconds_bucket', { le: '0.05' });
    const again = (await scrape()).samples;
    expect(slowSeconds(again)).toBeGreaterThanOrEqual(slowSeconds(before) + 1);
  });

  it('counts requests and their latency per route template, not per URL', async () => {
    const user = await makeUser(t());
    const before = await scrape();
    const route = '/api/v1/conversations/:id';
    const ids = [uniq(), uniq(), uniq()];
    for (const id of ids) {
      const res = await fetch(`${t().url}/api/v1/conversations/${id}`, { headers: { authorization: `Bearer ${user.token}` } });
      expect(res.status).toBe(404);
    }
    await user.api.call(api.auth.me);
    await user.api.call(api.auth.me);
    // A path nobody routes: counted, but never as a label of its own.
    const junk = `/api/v1/nothing-${uniq()}`;
    expect((await fetch(`${t().url}${junk}`)).status).toBe(404);

    const after = await scrape();
    const d = (name: string, labels: Record<string, string>) => value(after.samples, name, labels) - value(before.samples, name, labels);
    expect(d('parley_http_requests_total', { method: 'GET', route, status: '404' })).toBe(3);
    expect(d('parley_http_requests_total', { method: 'GET', route: '/api/v1/me', status: '200' })).toBe(2);
    expect(d('parley_http_request_duration_seconds_count', { route })).toBe(3);
    expect(d('parley_http_request_duration_seconds_count', { route: '/api/v1/me' })).toBe(2);
    expect(d('parley_http_request_duration_seconds_bucket', { route: '/api/v1/me', le: '+Inf' })).toBe(2);
    expect(value(after.samples, 'parley_http_request_duration_seconds_sum', { route: '/api/v1/me' })).toBeGreaterThan(0);
    expect(d('parley_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    const text = await (await fetch(`${t().url}/metrics`)).text();
    for (const id of ids) expect(text).not.toContain(id);
    expect(text).not.toContain(junk);
  });

  it('parley_websocket_connections rises and falls with a real WebSocket to /api/v1/events', async () => {
    const user = await makeUser(t());
    const gauge = async () => value((await scrape()).samples, 'parley_websocket_connections');
    const before = await gauge();
    const a = await TestSocket.open(t().url, { token: user.token });
    const b = await TestSocket.open(t().url, { token: user.token });
    expect(await gauge()).toBe(before + 2);
    a.close();
    await a.closed;
    let now = await gauge();
    for (let i = 0; i < 50 && now !== before + 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = await gauge();
    }
    expect(now).toBe(before + 1);
    b.close();
    await b.closed;
    for (let i = 0; i < 50 && now !== before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      now = await gauge();
    }
    expect(now).toBe(before);
  });

  it('parley_messages_sent_total counts stored messages, not retries', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const chat = await ann.api.call(api.conversations.create, { body: { title: 'metrics', memberIds: [bob.user.id] } });
    const sent = async () => value((await scrape()).samples, 'parley_messages_sent_total');
    const before = await sent();
    for (const clientId of ['m1', 'm2', 'm3']) {
      await ann.api.call(api.messages.send, { params: { id: chat.id }, body: { clientId, body: `hello ${clientId}` } });
    }
    expect(await sent()).toBe(before + 3);
    // The same clientId again answers the first message; nothing new is stored.
    await ann.api.call(api.messages.send, { params: { id: chat.id }, body: { clientId: 'm1', body: 'hello m1' } });
    expect(await sent()).toBe(before + 3);
  });

  it("the message writer's batches, and on SQLite its WAL flushes, are counted", async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const chat = await ann.api.call(api.conversations.create, { body: { title: 'batches', memberIds: [bob.user.id] } });
    const before = (await scrape()).samples;
    // Twenty sends at once: group commit stores them in fewer transactions than sends.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => ann.api.call(api.messages.send, { params: { id: chat.id }, body: { clientId: `b${i}`, body: `batch ${i}` } })),
    );
    const after = (await scrape()).samples;
    const d = (name: string) => value(after, name) - value(before, name);
    expect(d('parley_message_batch_size_sum')).toBe(20);
    expect(d('parley_message_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(d('parley_message_batch_size_count')).toBeLessThanOrEqual(20);
    // Each send's time in the writer is observed once.
    expect(d('parley_message_store_seconds_count')).toBe(20);
    expect(d('parley_message_store_seconds_sum')).toBeGreaterThan(0);
    if (kind === 'sqlite') {
      // Every batch is acknowledged after a flush; flushes may cover several batches.
      expect(d('parley_wal_flush_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(d('parley_wal_flush_seconds_count')).toBeLessThanOrEqual(d('parley_message_batch_size_count'));
    } else {
      expect(find(after, 'parley_wal_flush_seconds_count')).toEqual([]);
    }
  });
});
