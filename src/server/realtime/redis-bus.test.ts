import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/events.js';
import { RedisBus } from './redis-bus.js';
import { killSubscriber } from '../testing/redis.js';
import { sleep } from './test-socket.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL;
const log = pino({ level: 'silent' });

type Got = { userIds: readonly string[]; event: ServerEvent; json: string; skip?: string };

function collect(bus: RedisBus): Got[] {
  const got: Got[] = [];
  bus.subscribe((userIds, event, json, options) => got.push({ userIds, event, json, skip: options.skipConnection }));
  return got;
}

async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

if (!REDIS_URL) {
  console.warn('\n*** PARLEY_TEST_REDIS_URL is not set: the Redis event bus tests are SKIPPED ***\n');
}

(REDIS_URL ? describe : describe.skip)('Redis event bus', () => {
  const url = REDIS_URL!;
  const buses: RedisBus[] = [];
  const open = async (channel: string, name = 'parley-test') => {
    const b = await RedisBus.connect(url, log, channel, name);
    buses.push(b);
    return b;
  };
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
  });

  it('delivers each publish exactly once on every node, the publisher included, with the JSON unchanged', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const a = await open(channel);
    const b = await open(channel);
    const gotA = collect(a);
    const gotB = collect(b);
    const event: ServerEvent = { type: 'typing', conversationId: 'c1', userId: 'u"odd\\id', expiresInMs: 5000 };
    a.publish(['u1', 'u2'], event);
    b.publish(['u3'], { type: 'read', conversationId: 'c1', userId: 'u3', seq: 7 });
    await until(() => gotA.length === 2 && gotB.length === 2);
    await sleep(100);
    for (const got of [gotA, gotB]) {
      expect(got).toHaveLength(2);
      const first = got.find((g) => g.event.type === 'typing')!;
      expect(first.userIds).toEqual(['u1', 'u2']);
      expect(first.event).toEqual(event);
      expect(first.json).toBe(JSON.stringify(event));
      const second = got.find((g) => g.event.type === 'read')!;
      expect(JSON.parse(second.json)).toEqual({ type: 'read', conversationId: 'c1', userId: 'u3', seq: 7 });
    }
  });

  it('carries the socket to skip to every node, with the event JSON unchanged', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const a = await open(channel);
    const b = await open(channel);
    const gotB = collect(b);
    const event: ServerEvent = { type: 'read', conversationId: 'c"1', userId: 'u', seq: 3 };
    a.publish(['u1'], event, { skipConnection: 'conn-"x' });
    a.publish(['u1'], event);
    await until(() => gotB.length === 2);
    expect(gotB.map((g) => g.skip)).toEqual(['conn-"x', undefined]);
    for (const g of gotB) expect(g.json).toBe(JSON.stringify(event));
  });

  it('ignores an empty recipient list and keeps delivering in publish order', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const a = await open(channel);
    const got = collect(a);
    a.publish([], { type: 'pong' });
    for (let i = 1; i <= 50; i++) a.publish(['u'], { type: 'read', conversationId: 'c', userId: 'u', seq: i });
    await until(() => got.length === 50);
    expect(got.map((g) => (g.event as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('survives its connections being killed and resubscribes', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const name = `parley-kill-${randomBytes(4).toString('hex')}`;
    const a = await open(channel, name);
    const got = collect(a);
    const admin = new Redis(url);
    try {
      // Kill this bus's two connections only (the Redis server is shared with other suites).
      const list = (await admin.client('LIST')) as string;
      const ids = list
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /\bid=(\d+)/.exec(line)![1]!);
      expect(ids).toHaveLength(2);
      for (const id of ids) await admin.client('KILL', 'ID', id);
    } finally {
      admin.disconnect();
    }
    await sleep(300);
    const deadline = Date.now() + 10_000;
    let seq = 0;
    while (got.length === 0 && Date.now() < deadline) {
      a.publish(['u'], { type: 'read', conversationId: 'c', userId: 'u', seq: ++seq });
      await sleep(100);
    }
    expect(got.length).toBeGreaterThan(0);
  });

  it('sends the events of one turn as one PUBLISH, split past its size bound, every event intact and in order', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const a = await open(channel);
    const b = await open(channel);
    const got = collect(b);
    const raw = new Redis(url);
    const publishes: string[] = [];
    try {
      raw.on('message', (_c: string, payload: string) => publishes.push(payload));
      await raw.subscribe(channel);
      // Bodies with newlines, quotes and a separator-looking text stay what they were.
      const bodies = ['line one\nline two', 'quote " and \\n backslash-n', '{"u":["x"]}\n{"u":[]}'];
      for (const [i, body] of bodies.entries()) {
        a.publish([`u${i}`], { type: 'typing', conversationId: body, userId: `u${i}`, expiresInMs: i });
      }
      // The raw subscriber is a connection of its own: Redis may hand it the payloads after b.
      const linesSeen = () => publishes.reduce((n, p) => n + p.split('\n').length, 0);
      await until(() => got.length === 3 && linesSeen() === 3);
      expect(publishes).toHaveLength(1);
      expect(got.map((g) => (g.event.type === 'typing' ? g.event.conversationId : null))).toEqual(bodies);
      expect(got.map((g) => g.userIds)).toEqual([['u0'], ['u1'], ['u2']]);
      for (const g of got) expect(JSON.parse(g.json)).toEqual(g.event);

      // About 1 MiB in one turn: several PUBLISHes, and still every event in order.
      got.length = 0;
      publishes.length = 0;
      const big = 'x'.repeat(10_000);
      for (let i = 0; i < 100; i++) a.publish(['u'], { type: 'typing', conversationId: `${i}:${big}`, userId: 'u', expiresInMs: i });
      await until(() => got.length === 100 && linesSeen() === 100);
      expect(publishes.length).toBeGreaterThan(2);
      expect(publishes.length).toBeLessThan(100);
      expect(got.map((g) => (g.event.type === 'typing' ? g.event.expiresInMs : -1))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      raw.disconnect();
    }
  });

  it('refuses to start with a clear error when Redis cannot be reached', async () => {
    await expect(RedisBus.connect('redis://127.0.0.1:1', log)).rejects.toThrow(/Cannot reach Redis/);
  });

  it('closes cleanly and publishes nothing afterwards', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const a = await open(channel);
    const b = await open(channel);
    const got = collect(b);
    await a.close();
    a.publish(['u'], { type: 'pong' });
    await a.close();
    await sleep(100);
    expect(got).toHaveLength(0);
  });

  it('tells the node when its subscription was cut and is back, and delivers again', async () => {
    const channel = `parley:test:${randomBytes(4).toString('hex')}`;
    const name = `parley-gap-${randomBytes(4).toString('hex')}`;
    const a = await open(channel, name);
    const b = await open(channel);
    const got = collect(a);
    let gaps = 0;
    a.onGap(() => gaps++);
    await killSubscriber(url, name);
    await until(() => gaps === 1);
    b.publish(['u'], { type: 'pong' });
    await until(() => got.length === 1);
    expect(gaps).toBe(1);
  });
});
