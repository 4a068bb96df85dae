import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_CLOSE } from '../../shared/events.js';
import { makeUser } from '../testing/factories.js';
import { killSubscriber } from '../testing/redis.js';
import { startTestServer, type TestServer } from '../testing/server.js';
import { RedisBus } from './redis-bus.js';
import { TestSocket } from './test-socket.js';

const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL;

if (!REDIS_URL) {
  console.warn('\n*** PARLEY_TEST_REDIS_URL is not set: the Redis gap tests are SKIPPED ***\n');
}

// Redis keeps nothing for a subscriber that is away, so a node cut off from it may miss events
// of other nodes (or its own) without its sockets noticing anything.
(REDIS_URL ? describe : describe.skip)('realtime: a node that may have missed events', () => {
  let t: TestServer;

  beforeAll(async () => {
    // Two sockets asked to reconnect every 100 ms (the default is 500).
    process.env.PARLEY_WS_GAP_CLOSE_RATE = '20';
    t = await startTestServer('sqlite', { config: { redisUrl: REDIS_URL } });
  });

  afterAll(async () => {
    await t.close();
  });

  it('asks its clients to reconnect and catch up once its subscription is back', async () => {
    const u = await makeUser(t);
    const [s1, s2] = await Promise.all([TestSocket.open(t.url, { token: u.token }), TestSocket.open(t.url, { token: u.token })]);
    expect(t.ctx.events).toBeInstanceOf(RedisBus);
    await killSubscriber(REDIS_URL!, (t.ctx.events as RedisBus).connectionName);
    for (const s of [s1, s2]) expect((await s.closed).code).toBe(WS_CLOSE.eventsMissed);
    // Reconnecting works at once, and events flow again.
    const again = await TestSocket.open(t.url, { token: u.token });
    t.ctx.events.publish([u.user.id], { type: 'pong' });
    await again.next((e) => e.type === 'pong');
    again.close();
  });

  it('asks them in slices, not all at once', async () => {
    const u = await makeUser(t);
    const sockets = await Promise.all(Array.from({ length: 7 }, () => TestSocket.open(t.url, { token: u.token })));
    const closedAt = sockets.map((s) => s.closed.then((c) => ({ code: c.code, at: performance.now() })));
    await killSubscriber(REDIS_URL!, (t.ctx.events as RedisBus).connectionName);
    const closes = await Promise.all(closedAt);
    expect(closes.map((c) => c.code)).toEqual(Array(7).fill(WS_CLOSE.eventsMissed));
    // 2 + 2 + 2 + 1: the last slice goes three rounds (300 ms) after the first.
    const times = closes.map((c) => c.at).sort((a, b) => a - b);
    expect(times[6]! - times[0]!).toBeGreaterThanOrEqual(250);
    expect(times[1]! - times[0]!).toBeLessThan(90);
  });
});
