import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { ServerEvent } from '../../shared/events.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { startTestServer } from '../testing/server.js';
import { directPair, expectApiError } from '../conversations/test-helpers.js';
import { nowIso } from '../db/util.js';
import { testDatabases } from '../testing/databases.js';
import { MAX_WS_FRAME } from '../app.js';
import { RevocationWatch } from './revocations.js';
import { gatewayOf } from './routes.js';
import { handshakeStatus, sleep, TestSocket } from './test-socket.js';

type Typing = Extract<ServerEvent, { type: 'typing' }>;
type Created = Extract<ServerEvent, { type: 'message.created' }>;


describeEachDb('realtime gateway', (t) => {
  describe('authentication', () => {
    it('refuses a missing or bad token with a 401 before the upgrade', async () => {
      for (const opts of [{}, { token: 'not-a-session' }, { token: 'not-a-session', query: true }]) {
        const r = await handshakeStatus(t().url, opts);
        expect(r.status).toBe(401);
        expect(JSON.parse(r.body).error.code).toBe('unauthenticated');
      }
    });

    it('refuses a bad Authorization header even when the URL carries a good ?token=', async () => {
      const u = await makeUser(t());
      for (const authorization of ['Bearer not-a-session', 'Basic dXNlcjpwYXNz', 'Bearer']) {
        const r = await handshakeStatus(t().url, { headers: { authorization }, queryToken: u.token });
        expect(r.status).toBe(401);
        expect(JSON.parse(r.body).error.code).toBe('unauthenticated');
      }
      // A stale cookie is not a choice the client made: the URL's token still opens the socket.
      const stale = await handshakeStatus(t().url, { headers: { cookie: 'parley_session=expired-or-foreign' }, queryToken: u.token });
      expect(stale.status).toBe(101);
    });

    it('accepts a Bearer token, a ?token= and the session cookie, and says hello', async () => {
      const u = await makeUser(t());
      const viaHeader = await TestSocket.open(t().url, { token: u.token });
      const viaQuery = await TestSocket.open(t().url, { token: u.token, query: true });
      const viaCookie = await TestSocket.open(t().url, { headers: { cookie: `parley_session=${u.token}` } });
      const hellos = [viaHeader, viaQuery, viaCookie].map((s) => s.events[0]);
      for (const h of hellos) expect(h).toMatchObject({ type: 'hello', userId: u.user.id });
      const ids = new Set(hellos.map((h) => (h as Extract<ServerEvent, { type: 'hello' }>).connectionId));
      expect(ids.size).toBe(3);
      for (const s of [viaHeader, viaQuery, viaCookie]) s.close();
      await Promise.all([viaHeader, viaQuery, viaCookie].map((s) => s.closed));
    });

    it('answers a plain GET with 426 and counts open sockets', async () => {
      const u = await makeUser(t());
      const res = await fetch(`${t().url}/api/v1/events`, { headers: { authorization: `Bearer ${u.token}` } });
      expect(res.status).toBe(426);
      expect((await res.json()).error.code).toBe('upgrade_required');
      // Sockets of earlier tests finish closing on the server side first.
      await sleep(200);
      const before = t().ctx.metrics.websockets.get();
      const s = await TestSocket.open(t().url, { token: u.token });
      expect(t().ctx.metrics.websockets.get()).toBe(before + 1);
      s.close();
      await s.closed;
      await sleep(50);
      expect(t().ctx.metrics.websockets.get()).toBe(before);
    });
  });

  describe('delivery', () => {
    it('delivers message.created to every tab of the recipient and of the sender', async () => {
      const { a, b, conversationId } = await directPair(t());
      const [b1, b2, a1] = await Promise.all([
        TestSocket.open(t().url, { token: b.token }),
        TestSocket.open(t().url, { token: b.token }),
        TestSocket.open(t().url, { token: a.token }),
      ]);
      const clientId = randomUUID();
      const sent = await a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId, body: 'hello both tabs' } });
      for (const s of [b1, b2, a1]) {
        const e = await s.next<Created>((e) => e.type === 'message.created' && e.message.clientId === clientId);
        expect(e.conversationId).toBe(conversationId);
        expect(e.message).toMatchObject({ id: sent.id, seq: sent.seq, body: 'hello both tabs', senderId: a.user.id });
      }
      for (const s of [b1, b2, a1]) s.close();
    });

    it('does not deliver to people the event does not name', async () => {
      const { a, conversationId } = await directPair(t());
      const stranger = await makeUser(t());
      const s = await TestSocket.open(t().url, { token: stranger.token });
      const watcher = await TestSocket.open(t().url, { token: a.token });
      await a.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: randomUUID(), body: 'private' } });
      await watcher.next((e) => e.type === 'message.created');
      await sleep(100);
      expect(s.count((e) => e.type === 'message.created')).toBe(0);
      s.close();
      watcher.close();
    });
  });

  describe('typing', () => {
    it('reaches the other member but not the sender, and is throttled', async () => {
      const { a, b, conversationId } = await directPair(t());
      const sa = await TestSocket.open(t().url, { token: a.token });
      const sb = await TestSocket.open(t().url, { token: b.token });
      for (let i = 0; i < 5; i++) sa.send({ type: 'typing', conversationId });
      const e = await sb.next<Typing>((e) => e.type === 'typing');
      expect(e).toEqual({ type: 'typing', conversationId, userId: a.user.id, expiresInMs: 5000 });
      await sleep(300);
      // Five frames inside two seconds: one indicator.
      expect(sb.count((e) => e.type === 'typing')).toBe(1);
      expect(sa.count((e) => e.type === 'typing')).toBe(0);
      expect(sa.count((e) => e.type === 'error')).toBe(0);
      sa.close();
      sb.close();
    });

    it('answers typing in a conversation the user is not in with an error frame', async () => {
      const { conversationId, b } = await directPair(t());
      const outsider = await makeUser(t());
      const so = await TestSocket.open(t().url, { token: outsider.token });
      const sb = await TestSocket.open(t().url, { token: b.token });
      so.send({ type: 'typing', conversationId });
      so.send({ type: 'typing', conversationId: 'no-such-conversation' });
      await so.next((e) => e.type === 'error' && e.code === 'not_found');
      await sleep(200);
      expect(sb.count((e) => e.type === 'typing')).toBe(0);
      so.close();
      sb.close();
    });
  });

  describe('bad frames', () => {
    it('answers invalid JSON, unknown types and bad typing frames with error frames and stays usable', async () => {
      const u = await makeUser(t());
      const s = await TestSocket.open(t().url, { token: u.token });
      s.send('{not json');
      await s.next((e) => e.type === 'error' && e.code === 'invalid_json');
      s.send({ type: 'dance' });
      await s.next((e) => e.type === 'error' && e.code === 'unknown_type');
      s.send([1, 2]);
      s.send({ type: 'typing', conversationId: 42 });
      // Not an id: never looked up (PostgreSQL refuses a NUL in text with an error).
      s.send({ type: 'typing', conversationId: 'a\u0000b' });
      s.send({ type: 'typing', conversationId: 'x'.repeat(65) });
      s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
      await s.next((e) => e.type === 'error' && e.code === 'unsupported_frame');
      expect(s.count((e) => e.type === 'error' && e.code === 'invalid_frame')).toBe(4);
      expect(s.count((e) => e.type === 'error' && e.code === 'internal_error')).toBe(0);
      s.send({ type: 'ping' });
      await s.next((e) => e.type === 'pong');
      expect(s.ws.readyState).toBe(WebSocket.OPEN);
      s.close();
    });

    it('closes a socket that sends a frame past the limit (128 KiB) with 1009, and keeps serving', async () => {
      const u = await makeUser(t());
      const s = await TestSocket.open(t().url, { token: u.token });
      s.send(JSON.stringify({ type: 'typing', conversationId: 'x'.repeat(MAX_WS_FRAME) }));
      const closed = await s.closed;
      expect(closed.code).toBe(1009);
      const again = await TestSocket.open(t().url, { token: u.token });
      again.send({ type: 'ping' });
      await again.next((e) => e.type === 'pong');
      const health = await fetch(`${t().url}/healthz`);
      expect(health.status).toBe(200);
      again.close();
    });

    it('drops a typing flood and closes the socket with 1008', async () => {
      const { a, b, conversationId } = await directPair(t());
      const sa = await TestSocket.open(t().url, { token: a.token });
      const sb = await TestSocket.open(t().url, { token: b.token });
      for (let i = 0; i < 200 && sa.ws.readyState === WebSocket.OPEN; i++) sa.send({ type: 'typing', conversationId });
      const closed = await sa.closed;
      expect(closed.code).toBe(1008);
      await sleep(200);
      // The flood published at most the one throttled indicator.
      expect(sb.count((e) => e.type === 'typing')).toBeLessThanOrEqual(1);
      sb.close();
    });
  });

  describe('heartbeat', () => {
    it('closes the sockets of a session that logged out with 4001, and only those', async () => {
      const u = await makeUser(t());
      const other = await makeUser(t());
      const s1 = await TestSocket.open(t().url, { token: u.token });
      const s2 = await TestSocket.open(t().url, { token: u.token, query: true });
      const keep = await TestSocket.open(t().url, { token: other.token });
      await u.api.call(api.auth.logout);
      await gatewayOf(t().ctx).heartbeat();
      expect((await s1.closed).code).toBe(4001);
      expect((await s2.closed).code).toBe(4001);
      expect(keep.ws.readyState).toBe(WebSocket.OPEN);
      const refused = await handshakeStatus(t().url, { token: u.token });
      expect(refused.status).toBe(401);
      keep.close();
    });

    it('closes the sockets of a user an admin deactivates or deletes', async () => {
      const org = await makeOrg(t().ctx, { plan: 'paid' });
      const admin = await makeUser(t(), { org, role: 'admin' });
      const doomed = await makeUser(t(), { org });
      const removed = await makeUser(t(), { org });
      const s1 = await TestSocket.open(t().url, { token: doomed.token });
      const s2 = await TestSocket.open(t().url, { token: removed.token });
      const keep = await TestSocket.open(t().url, { token: admin.token });
      await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: doomed.user.id } });
      await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: removed.user.id } });
      await gatewayOf(t().ctx).heartbeat();
      expect((await s1.closed).code).toBe(4001);
      expect((await s2.closed).code).toBe(4001);
      expect(keep.ws.readyState).toBe(WebSocket.OPEN);
      keep.close();
    });

    it('terminates a socket that stops answering pings', async () => {
      const u = await makeUser(t());
      const url = `${t().url.replace(/^http/, 'ws')}/api/v1/events`;
      const silent = new WebSocket(url, { headers: { authorization: `Bearer ${u.token}` }, autoPong: false });
      const closed = new Promise<number>((resolve) => silent.on('close', (code) => resolve(code)));
      await new Promise((resolve) => silent.once('message', resolve));
      const answering = await TestSocket.open(t().url, { token: u.token });
      const gw = gatewayOf(t().ctx);
      await gw.heartbeat();
      await sleep(100);
      await gw.heartbeat();
      expect(await closed).toBe(1006);
      expect(answering.ws.readyState).toBe(WebSocket.OPEN);
      answering.close();
    });
  });
});

describe('realtime gateway heartbeat timer', () => {
  it('re-checks sessions on its own every heartbeat interval', async () => {
    const saved = process.env.PARLEY_WS_HEARTBEAT_MS;
    process.env.PARLEY_WS_HEARTBEAT_MS = '200';
    const t = await startTestServer('sqlite');
    try {
      expect(gatewayOf(t.ctx).options.heartbeatMs).toBe(200);
      const u = await makeUser(t);
      const s = await TestSocket.open(t.url, { token: u.token });
      const started = Date.now();
      await u.api.call(api.auth.logout);
      expect((await s.closed).code).toBe(4001);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      if (saved === undefined) delete process.env.PARLEY_WS_HEARTBEAT_MS;
      else process.env.PARLEY_WS_HEARTBEAT_MS = saved;
      await t.close();
    }
  });
});

describe('realtime gateway shutdown', () => {
  it('closes every socket with 1001 when the node stops', async () => {
    const t = await startTestServer('sqlite');
    const u = await makeUser(t);
    const sockets = await Promise.all([1, 2, 3].map(() => TestSocket.open(t.url, { token: u.token })));
    const started = Date.now();
    await t.close();
    for (const s of sockets) expect((await s.closed).code).toBe(1001);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('realtime gateway and sessions revoked elsewhere', () => {
  for (const kind of testDatabases()) {
    it(`acts on every session of a mass revocation, page after page, and on none twice [${kind}]`, async () => {
      const t = await startTestServer(kind);
      try {
        const users = await Promise.all(Array.from({ length: 7 }, () => makeUser(t)));
        const userIds = users.map((u) => u.user.id);
        // Revoked in one statement: they share one revocation time, so pages split ties by id.
        await t.ctx.db.updateTable('sessions').set({ revoked_at: nowIso() }).where('user_id', 'in', userIds).execute();
        const sessions = await t.ctx.db.selectFrom('sessions').select('id').where('user_id', 'in', userIds).execute();
        expect(sessions).toHaveLength(7);
        const told: string[] = [];
        const watch = new RevocationWatch(t.ctx, 60_000, (ids) => told.push(...ids), 2);
        await watch.check();
        expect([...told].sort()).toEqual(sessions.map((s) => s.id).sort());
        await watch.check();
        expect(told).toHaveLength(7);
      } finally {
        await t.close();
      }
    });

    it(`closes the sockets of a session revoked by another process, with no event, and its token stops at once [${kind}]`, async () => {
      const saved = process.env.PARLEY_WS_REVOCATION_POLL_MS;
      process.env.PARLEY_WS_REVOCATION_POLL_MS = '100';
      const t = await startTestServer(kind);
      try {
        expect(gatewayOf(t.ctx).options.revocationPollMs).toBe(100);
        // The heartbeat round (30 s here) is not what closes it.
        expect(gatewayOf(t.ctx).options.heartbeatMs).toBeGreaterThanOrEqual(30_000);
        const u = await makeUser(t);
        const other = await makeUser(t);
        const s = await TestSocket.open(t.url, { token: u.token });
        const keep = await TestSocket.open(t.url, { token: other.token });
        // Signed in and cached on this node.
        await u.api.call(api.auth.me);
        // An operator's command on the same database (no Redis, so no event) revokes it.
        await t.ctx.db.updateTable('sessions').set({ revoked_at: nowIso() }).where('user_id', '=', u.user.id).execute();
        expect((await s.closed).code).toBe(4001);
        await expectApiError(u.api.call(api.auth.me), 401, 'unauthenticated');
        expect(keep.ws.readyState).toBe(WebSocket.OPEN);
        // A revocation long past is not acted on again, nor is anything else closed.
        await gatewayOf(t.ctx).revocations.check();
        await sleep(300);
        expect(keep.ws.readyState).toBe(WebSocket.OPEN);
        keep.close();
      } finally {
        if (saved === undefined) delete process.env.PARLEY_WS_REVOCATION_POLL_MS;
        else process.env.PARLEY_WS_REVOCATION_POLL_MS = saved;
        await t.close();
      }
    });
  }
});
