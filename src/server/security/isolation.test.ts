import { beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { TestSocket, sleep } from '../realtime/test-socket.js';
import { cid, expectContractError, expectNoLeak, makeOrgWorld, raw, type OrgWorld } from './helpers.js';

/**
 * Cross-org isolation, endpoint by endpoint: a person of org B (a member, and an admin) uses
 * every org-A-scoped endpoint with org A's ids. Each answer is a contract error (404, or 403 for
 * admin routes of their own org) that names nothing of org A, and org A's data is unchanged.
 */

interface Probe {
  method: string;
  path: string;
  body?: unknown;
}

function probesFor(w: OrgWorld, otherMemberId: string): Probe[] {
  const o = w.org.id;
  const g = w.group.id;
  const d = w.direct.id;
  const m = w.message.id;
  const uid = w.bob.user.id;
  const probes: Probe[] = [
    { method: 'GET', path: `/api/v1/orgs/${o}` },
    { method: 'GET', path: `/api/v1/orgs/${o}/settings` },
    { method: 'PATCH', path: `/api/v1/orgs/${o}/settings`, body: { externalMessaging: true } },
    { method: 'GET', path: `/api/v1/orgs/${o}/users` },
    { method: 'GET', path: `/api/v1/orgs/${o}/users?q=a` },
    { method: 'POST', path: `/api/v1/orgs/${o}/users`, body: { email: `intruder-${Date.now()}@${w.org.domain}`, displayName: 'Intruder' } },
    { method: 'POST', path: `/api/v1/orgs/${o}/users/${uid}/deactivate` },
    { method: 'POST', path: `/api/v1/orgs/${o}/users/${uid}/reactivate` },
    { method: 'POST', path: `/api/v1/orgs/${o}/users/${uid}/role`, body: { role: 'admin' } },
    { method: 'DELETE', path: `/api/v1/orgs/${o}/users/${uid}` },
    { method: 'GET', path: `/api/v1/orgs/${o}/audit` },
    { method: 'GET', path: `/api/v1/files/${w.fileId}` },
    { method: 'GET', path: `/api/v1/files/${w.fileId}?inline=1` },
  ];
  for (const c of [g, d]) {
    probes.push(
      { method: 'GET', path: `/api/v1/conversations/${c}` },
      { method: 'PATCH', path: `/api/v1/conversations/${c}`, body: { title: 'Taken over' } },
      { method: 'POST', path: `/api/v1/conversations/${c}/members`, body: { userIds: [otherMemberId] } },
      { method: 'DELETE', path: `/api/v1/conversations/${c}/members/${uid}` },
      { method: 'POST', path: `/api/v1/conversations/${c}/leave` },
      { method: 'GET', path: `/api/v1/conversations/${c}/messages` },
      { method: 'GET', path: `/api/v1/conversations/${c}/messages?after=0&limit=100` },
      { method: 'POST', path: `/api/v1/conversations/${c}/messages`, body: { clientId: cid(), body: 'injected' } },
      { method: 'POST', path: `/api/v1/conversations/${c}/messages`, body: { clientId: cid(), body: 'with a stolen file', fileIds: [w.fileId] } },
      { method: 'POST', path: `/api/v1/conversations/${c}/read`, body: { seq: 1 } },
      { method: 'POST', path: `/api/v1/conversations/${c}/accept` },
      { method: 'POST', path: `/api/v1/conversations/${c}/decline` },
      { method: 'POST', path: `/api/v1/conversations/${c}/block` },
      { method: 'POST', path: `/api/v1/conversations/${c}/unblock` },
      { method: 'GET', path: `/api/v1/conversations/${c}/files` },
    );
  }
  for (const [c, mid] of [
    [g, m],
    [d, w.dm.id],
  ] as const) {
    probes.push(
      { method: 'PATCH', path: `/api/v1/conversations/${c}/messages/${mid}`, body: { body: 'rewritten' } },
      { method: 'DELETE', path: `/api/v1/conversations/${c}/messages/${mid}` },
    );
  }
  return probes;
}

async function probe(t: TestServer, who: TestUser, p: Probe) {
  return raw(t, p.method, p.path, {
    token: who.token,
    headers: p.body === undefined ? {} : { 'content-type': 'application/json' },
    body: p.body === undefined ? undefined : JSON.stringify(p.body),
  });
}

/** What org A looks like from the inside, to prove the probes changed nothing. */
async function snapshot(t: TestServer, w: OrgWorld) {
  const db = t.ctx.db;
  const users = await db.selectFrom('users').select(['id', 'status', 'role', 'display_name']).where('org_id', '=', w.org.id).orderBy('id').execute();
  const members = await db
    .selectFrom('conversation_members')
    .select(['conversation_id', 'user_id', 'left_at', 'last_read_seq'])
    .where('conversation_id', 'in', [w.group.id, w.direct.id])
    .orderBy('conversation_id')
    .orderBy('user_id')
    .execute();
  const convs = await db.selectFrom('conversations').select(['id', 'title', 'state', 'last_seq']).where('id', 'in', [w.group.id, w.direct.id]).orderBy('id').execute();
  const messages = await db.selectFrom('messages').select(['id', 'body', 'deleted_at', 'edited_at']).where('conversation_id', 'in', [w.group.id, w.direct.id]).orderBy('id').execute();
  const org = await db.selectFrom('orgs').selectAll().where('id', '=', w.org.id).executeTakeFirst();
  return { users, members, convs, messages, org };
}

describeEachDb('security: cross-org isolation', (t) => {
  let w: OrgWorld;
  let member: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    w = await makeOrgWorld(t());
    const orgB = await makeOrg(t().ctx, { plan: 'paid' });
    admin = await makeUser(t(), { org: orgB, role: 'admin' });
    member = await makeUser(t(), { org: orgB });
  });

  for (const role of ['member', 'admin'] as const) {
    it(`answers a ${role} of another org 404 on every org-A endpoint, revealing nothing and changing nothing`, async () => {
      const who = role === 'admin' ? admin : member;
      const before = await snapshot(t(), w);
      for (const p of probesFor(w, who.user.id)) {
        const res = await probe(t(), who, p);
        const label = `${role} ${p.method} ${p.path}`;
        expectContractError(res, label);
        expect(res.status, `${label}: ${res.text}`).toBe(404);
        expectNoLeak(res, w.secrets, label);
      }
      expect(await snapshot(t(), w)).toEqual(before);
    });
  }

  it('answers 404 for a user of another org named in the admin routes of your own org', async () => {
    const own = admin.org.id;
    const uid = w.bob.user.id;
    const before = await snapshot(t(), w);
    const probes: Probe[] = [
      { method: 'POST', path: `/api/v1/orgs/${own}/users/${uid}/deactivate` },
      { method: 'POST', path: `/api/v1/orgs/${own}/users/${uid}/reactivate` },
      { method: 'POST', path: `/api/v1/orgs/${own}/users/${uid}/role`, body: { role: 'admin' } },
      { method: 'DELETE', path: `/api/v1/orgs/${own}/users/${uid}` },
    ];
    for (const p of probes) {
      const res = await probe(t(), admin, p);
      expect(res.status, `${p.method} ${p.path}: ${res.text}`).toBe(404);
      expectContractError(res, p.path);
      expectNoLeak(res, w.secrets, p.path);
    }
    // Filters of the user list and the audit log never reach into another org.
    const list = await raw(t(), 'GET', `/api/v1/orgs/${own}/users?q=${encodeURIComponent(w.bob.email)}&status=all`, { token: admin.token });
    expect(list.status).toBe(200);
    expectNoLeak(list, w.secrets, 'user list');
    const audit = await raw(t(), 'GET', `/api/v1/orgs/${own}/audit?actorId=${w.admin.user.id}`, { token: admin.token });
    expect(audit.status).toBe(200);
    expect((audit.json as { items: unknown[] }).items).toEqual([]);
    expect(await snapshot(t(), w)).toEqual(before);
  });

  it('answers 403 to a member of your own org on the admin routes, and 200 on the org itself', async () => {
    const own = member.org.id;
    const probes: Probe[] = [
      { method: 'GET', path: `/api/v1/orgs/${own}/settings` },
      { method: 'PATCH', path: `/api/v1/orgs/${own}/settings`, body: { externalMessaging: true } },
      { method: 'GET', path: `/api/v1/orgs/${own}/users` },
      { method: 'POST', path: `/api/v1/orgs/${own}/users`, body: { email: `x-${Date.now()}@example.com`, displayName: 'X' } },
      { method: 'POST', path: `/api/v1/orgs/${own}/users/${admin.user.id}/deactivate` },
      { method: 'POST', path: `/api/v1/orgs/${own}/users/${member.user.id}/role`, body: { role: 'admin' } },
      { method: 'DELETE', path: `/api/v1/orgs/${own}/users/${admin.user.id}` },
      { method: 'GET', path: `/api/v1/orgs/${own}/audit` },
    ];
    for (const p of probes) {
      const res = await probe(t(), member, p);
      expect(res.status, `${p.method} ${p.path}: ${res.text}`).toBe(403);
      expect(expectContractError(res, p.path)).toBe('forbidden');
    }
    expect((await raw(t(), 'GET', `/api/v1/orgs/${own}`, { token: member.token })).status).toBe(200);
    const me = await member.api.call(api.auth.me);
    expect(me.user.role).toBe('member');
  });

  it("never lists another org's chats, and a stranger's typing in them reaches nobody", async () => {
    const list = await raw(t(), 'GET', '/api/v1/conversations?limit=100', { token: member.token });
    expect(list.status).toBe(200);
    expectNoLeak(list, w.secrets, 'chat list');
    const activity = await raw(t(), 'GET', '/api/v1/activity', { token: member.token });
    expect(activity.status).toBe(200);
    expectNoLeak(activity, w.secrets, 'activity');

    const insider = await TestSocket.open(t().url, { token: w.bob.token });
    const stranger = await TestSocket.open(t().url, { token: member.token });
    stranger.send({ type: 'typing', conversationId: w.group.id });
    stranger.send({ type: 'typing', conversationId: w.direct.id });
    const err = await stranger.next((e) => e.type === 'error');
    expect(err).toMatchObject({ type: 'error', code: 'not_found' });
    expectNoLeak(JSON.stringify(stranger.events), w.secrets, 'stranger socket');
    await sleep(300);
    expect(insider.count((e) => e.type === 'typing')).toBe(0);
    insider.close();
    stranger.close();
  });
});

describe('security: group removal', () => {
  describeEachDb('a removed member', (t) => {
    it('loses history, files and events at once, including typing', async () => {
      const w = await makeOrgWorld(t());
      const { alice, bob, admin, group, fileId } = w;
      const bobSocket = await TestSocket.open(t().url, { token: bob.token });
      const adminSocket = await TestSocket.open(t().url, { token: admin.token });
      // Both sides have typed once, so each connection has looked up who is in the chat.
      adminSocket.send({ type: 'typing', conversationId: group.id });
      await bobSocket.next((e) => e.type === 'typing' && e.userId === admin.user.id);
      bobSocket.send({ type: 'typing', conversationId: group.id });
      await adminSocket.next((e) => e.type === 'typing' && e.userId === bob.user.id);

      await alice.api.call(api.conversations.removeMember, { params: { id: group.id, userId: bob.user.id } });

      for (const path of [
        `/api/v1/conversations/${group.id}`,
        `/api/v1/conversations/${group.id}/messages`,
        `/api/v1/conversations/${group.id}/files`,
        `/api/v1/files/${fileId}`,
      ]) {
        const res = await raw(t(), 'GET', path, { token: bob.token });
        expect(res.status, `${path}: ${res.text}`).toBe(404);
        expectContractError(res, path);
      }
      const send = await raw(t(), 'POST', `/api/v1/conversations/${group.id}/messages`, {
        token: bob.token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: cid(), body: 'still here?' }),
      });
      expect(send.status).toBe(404);

      const afterRemoval = `after removal ${cid()}`;
      const sent = await alice.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: afterRemoval } });
      await adminSocket.next((e) => e.type === 'message.created' && e.message.id === sent.id);
      // Past the per-connection typing throttle, both type again.
      await sleep(2100);
      const typingBefore = bobSocket.count((e) => e.type === 'typing');
      const adminTypingBefore = adminSocket.count((e) => e.type === 'typing' && e.userId === bob.user.id);
      adminSocket.send({ type: 'typing', conversationId: group.id });
      bobSocket.send({ type: 'typing', conversationId: group.id });
      const err = await bobSocket.next((e) => e.type === 'error');
      expect(err).toMatchObject({ code: 'not_found' });
      await sleep(300);
      expect(bobSocket.count((e) => e.type === 'typing'), 'a removed member still sees typing').toBe(typingBefore);
      expect(adminSocket.count((e) => e.type === 'typing' && e.userId === bob.user.id), 'a removed member can still type').toBe(adminTypingBefore);
      expect(JSON.stringify(bobSocket.events)).not.toContain(afterRemoval);
      bobSocket.close();
      adminSocket.close();
    });
  });
});

describeEachDb('security: a deleted user', (t) => {
  it('has an old token that fails everywhere, the WebSocket included, and hears nothing more', async () => {
    const w = await makeOrgWorld(t());
    const { admin, alice, bob, group } = w;
    const socket = await TestSocket.open(t().url, { token: bob.token });
    const cookieSocket = await TestSocket.open(t().url, { headers: { cookie: `parley_session=${bob.token}`, origin: t().url } });
    await admin.api.call(api.orgs.deleteUser, { params: { id: w.org.id, uid: bob.user.id } });

    for (const [method, path] of [
      ['GET', '/api/v1/me'],
      ['GET', '/api/v1/conversations'],
      ['GET', `/api/v1/conversations/${group.id}/messages`],
      ['GET', `/api/v1/files/${w.fileId}`],
      ['GET', '/api/v1/directory/search?q=alice'],
      ['GET', `/api/v1/orgs/${w.org.id}`],
      ['POST', '/api/v1/auth/logout'],
    ] as const) {
      for (const auth of ['bearer', 'cookie'] as const) {
        const headers: Record<string, string> = auth === 'cookie' ? { cookie: `parley_session=${bob.token}` } : {};
        const res = await raw(t(), method, path, { token: auth === 'bearer' ? bob.token : undefined, headers });
        expect(res.status, `${auth} ${method} ${path}: ${res.text}`).toBe(401);
        expect(expectContractError(res, path)).toBe('unauthenticated');
      }
    }
    const { handshakeStatus } = await import('../realtime/test-socket.js');
    expect((await handshakeStatus(t().url, { token: bob.token })).status).toBe(401);
    expect((await handshakeStatus(t().url, { token: bob.token, query: true })).status).toBe(401);

    // A socket opened before the deletion must not keep receiving the chat's messages.
    const secret = `after deletion ${cid()}`;
    await alice.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: secret } });
    const closed = await Promise.race([socket.closed, sleep(1000).then(() => null)]);
    const cookieClosed = await Promise.race([cookieSocket.closed, sleep(200).then(() => null)]);
    expect(JSON.stringify(socket.events), 'the deleted user still receives messages').not.toContain(secret);
    expect(JSON.stringify(cookieSocket.events), 'the deleted user still receives messages').not.toContain(secret);
    expect(closed?.code, 'the deleted user keeps an open socket').toBe(4001);
    expect(cookieClosed?.code, 'the deleted user keeps an open socket').toBe(4001);
  });
});
