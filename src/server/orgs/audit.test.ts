import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { doAudit } from '../audit/service.js';
import { makeUser, uniq } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import { orgWithAdmin, refused } from './test-helpers.js';

describeEachDb('org admin: audit log', (t) => {
  it('records every admin action with actor, target and IP, newest first', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const params = { id: org.id, uid: member.user.id };
    const created = await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: `c-${uniq()}@${org.domain}`, displayName: 'Created One' } });
    await admin.api.call(api.orgs.deactivateUser, { params });
    await admin.api.call(api.orgs.reactivateUser, { params });
    await admin.api.call(api.orgs.setUserRole, { params, body: { role: 'admin' } });
    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: created.user.id } });
    // A no-op (already active) records nothing.
    await admin.api.call(api.orgs.reactivateUser, { params });

    const log = await admin.api.call(api.orgs.audit, { params: { id: org.id }, query: {} });
    expect(log.items.map((e) => e.action)).toEqual(['user.deleted', 'user.role_changed', 'user.reactivated', 'user.deactivated', 'user.created']);
    for (const e of log.items) {
      expect(e).toMatchObject({ actorId: admin.user.id, actorName: 'Admin Person', targetType: 'user' });
      expect(e.ip).toMatch(/127\.0\.0\.1/);
      expect(Date.parse(e.createdAt)).not.toBeNaN();
    }
    expect(log.items[1]).toMatchObject({ targetId: member.user.id, data: { from: 'member', to: 'admin' } });
    expect(log.items[4]).toMatchObject({ targetId: created.user.id, data: { email: created.user.email, role: 'member' } });
  });

  it('filters by action, actor and time, and validates the filters', async () => {
    const { org, admin, member } = await orgWithAdmin(t());
    const other = await makeUser(t(), { org, role: 'admin', displayName: 'Other Admin' });
    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: member.user.id } });
    await other.api.call(api.orgs.reactivateUser, { params: { id: org.id, uid: member.user.id } });
    // An old entry, written directly with a past time, to test the time window.
    await t()
      .ctx.db.insertInto('audit_log')
      .values({ id: `old-${uniq()}`, org_id: org.id, actor_id: null, action: 'org.updated', target_type: 'org', target_id: org.id, data: '{"via":"cli"}', ip: null, created_at: '2020-01-01T00:00:00.000Z' })
      .execute();
    const q = (query: Record<string, unknown>) => admin.api.call(api.orgs.audit, { params: { id: org.id }, query: query as never });

    expect((await q({ action: 'user.deactivated' })).items.map((e) => e.actorId)).toEqual([admin.user.id]);
    expect((await q({ actorId: other.user.id })).items.map((e) => e.action)).toEqual(['user.reactivated']);
    expect((await q({ action: 'user.created' })).items).toEqual([]);
    expect((await q({ until: '2021-01-01' })).items.map((e) => e.action)).toEqual(['org.updated']);
    expect((await q({ until: '2021-01-01' })).items[0]).toMatchObject({ actorId: null, actorName: null, data: { via: 'cli' } });
    expect((await q({ since: '2021-01-01T00:00:00Z' })).items).toHaveLength(2);
    // Offsets count: 20:00 at -05:00 is after the entry, 18:00 at -05:00 before it.
    expect((await q({ since: '2019-12-31T20:00:00-05:00', until: '2020-01-02' })).items).toHaveLength(0);
    expect((await q({ since: '2019-12-31T18:00:00-05:00', until: '2020-01-02' })).items).toHaveLength(1);
    expect((await q({ since: '2020-01-01', until: '2020-01-01T00:00:00.000Z' })).items).toHaveLength(0);

    for (const bad of [
      { since: 'yesterday' },
      { until: '2024-13-01' },
      { since: '2024-02-30' },
      { since: '2024-05-02', until: '2024-05-01' },
      { action: 'DROP TABLE' },
      { limit: -1 },
      { cursor: '!!!' },
      // Forged cursors of the right shape with text no database could compare.
      { cursor: Buffer.from(JSON.stringify({ c: '\u0000', i: 'x' })).toString('base64url') },
      { cursor: Buffer.from(JSON.stringify({ c: '2024-01-01', i: '\ud800' })).toString('base64url') },
      { unknown: 'x' },
    ]) {
      expect(await refused(q(bad)), JSON.stringify(bad)).toMatchObject({ status: 400, code: 'invalid_request' });
    }
  });

  it('pages newest first without skipping or repeating, and shows only its own org', async () => {
    const { org, admin } = await orgWithAdmin(t());
    const b = await orgWithAdmin(t());
    // Entries sharing one timestamp make the id decide the order across page boundaries.
    const at = new Date().toISOString();
    for (let i = 0; i < 7; i++) {
      await t().ctx.db.insertInto('audit_log').values({ id: `p${i}-${uniq()}`, org_id: org.id, actor_id: admin.user.id, action: 'user.created', target_type: null, target_id: null, data: '{}', ip: null, created_at: at }).execute();
    }
    await doAudit(t().ctx.db, { orgId: b.org.id, actorId: b.admin.user.id, action: 'user.created' });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.api.call(api.orgs.audit, { params: { id: org.id }, query: { limit: 3, ...(cursor ? { cursor } : {}) } });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.next;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort().reverse()).toEqual(seen);

    expect(await refused(b.member.api.call(api.orgs.audit, { params: { id: b.org.id }, query: {} }))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await refused(b.admin.api.call(api.orgs.audit, { params: { id: org.id }, query: {} }))).toMatchObject({ status: 404, code: 'not_found' });
  });
});
