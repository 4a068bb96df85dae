import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { auditOf, expectApiError } from './test-helpers.js';

const MIB = 1024 * 1024;

describeEachDb('org settings API', (t) => {
  it('shows the policy by plan to admins only: 403 for members, 404 for other orgs, 401 signed out', async () => {
    const paid = await makeOrg(t().ctx, { plan: 'paid' });
    const admin = await makeUser(t(), { org: paid, role: 'admin' });
    const member = await makeUser(t(), { org: paid });
    const otherAdmin = await makeUser(t(), { org: await makeOrg(t().ctx, { plan: 'basic' }), role: 'admin' });

    const s = await admin.api.call(api.external.getSettings, { params: { id: paid.id } });
    expect(s).toMatchObject({
      orgId: paid.id,
      policy: { externalMessaging: false, allow: 'anyone', allowDomains: [], blockDomains: [], requireAcceptance: true, externalFiles: true, maxFileBytes: 100 * MIB },
      overrides: {},
      deploymentMaxFileBytes: t().ctx.config.maxFileBytes,
    });
    await expectApiError(member.api.call(api.external.getSettings, { params: { id: paid.id } }), 403, 'forbidden');
    await expectApiError(member.api.call(api.external.patchSettings, { params: { id: paid.id }, body: { externalMessaging: true } }), 403, 'forbidden');
    await expectApiError(otherAdmin.api.call(api.external.getSettings, { params: { id: paid.id } }), 404, 'not_found');
    await expectApiError(otherAdmin.api.call(api.external.patchSettings, { params: { id: paid.id }, body: { externalMessaging: true } }), 404, 'not_found');
    await expectApiError(t().anon().call(api.external.getSettings, { params: { id: paid.id } }), 401, 'unauthenticated');

    const basicAdmin = await makeUser(t(), { org: await makeOrg(t().ctx, { plan: 'basic' }), role: 'admin' });
    const b = await basicAdmin.api.call(api.external.getSettings, { params: { id: basicAdmin.org.id } });
    expect(b.policy).toMatchObject({ externalMessaging: true, requireAcceptance: false });
  });

  it('changes only the fields given, normalizes domains, resets with null, and audits before/after', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const s = await admin.api.call(api.external.patchSettings, {
      params: { id: org.id },
      body: { externalMessaging: true, allow: 'listed', allowDomains: ['  Partner.Example ', 'partner.example', 'eu.supplier.example.'], maxFileBytes: 5 * MIB },
    });
    expect(s.policy).toMatchObject({ externalMessaging: true, allow: 'listed', allowDomains: ['eu.supplier.example', 'partner.example'], maxFileBytes: 5 * MIB, requireAcceptance: true });
    expect(s.overrides).toEqual({ externalMessaging: true, allow: 'listed', allowDomains: ['eu.supplier.example', 'partner.example'], maxFileBytes: 5 * MIB });
    expect((await admin.api.call(api.external.getSettings, { params: { id: org.id } })).policy).toEqual(s.policy);

    const audit = await auditOf(t(), org.id, 'org.settings_changed');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: admin.user.id, target_id: org.id });
    expect(audit[0]!.data).toMatchObject({
      before: { externalMessaging: false, allow: 'anyone', allowDomains: [] },
      after: { externalMessaging: true, allow: 'listed', allowDomains: ['eu.supplier.example', 'partner.example'] },
    });
    expect((audit[0]!.data.changed as string[]).sort()).toEqual(['allow', 'allowDomains', 'externalMessaging', 'maxFileBytes']);

    const reset = await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { allow: null, allowDomains: null } });
    expect(reset.policy).toMatchObject({ allow: 'anyone', allowDomains: [], externalMessaging: true });
    expect(reset.overrides).toEqual({ externalMessaging: true, maxFileBytes: 5 * MIB });
  });

  it('refuses bad input with 400 and changes nothing', async () => {
    const org = await makeOrg(t().ctx, { plan: 'basic' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const bad: Record<string, unknown>[] = [
      { unknownField: true },
      { externalMessaging: 'yes' },
      { allow: 'everyone' },
      { allowDomains: ['not a domain'] },
      { allowDomains: ['localhost'] },
      { blockDomains: ['-bad.example'] },
      { blockDomains: ['exa_mple.com'] },
      { blockDomains: [`${'a'.repeat(64)}.example`] },
      { blockDomains: 'partner.example' },
      { blockDomains: Array.from({ length: 501 }, (_, i) => `d${i}.example`) },
      { maxFileBytes: 0 },
      { maxFileBytes: 1.5 },
      { maxFileBytes: t().ctx.config.maxFileBytes + 1 },
      { requireAcceptance: 1 },
    ];
    for (const body of bad) {
      await expectApiError(admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: body as never }), 400, 'invalid_request');
    }
    const res = await fetch(`${t().url}/api/v1/orgs/${org.id}/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: '{"externalMessaging": tru',
    });
    expect(res.status).toBe(400);
    const s = await admin.api.call(api.external.getSettings, { params: { id: org.id } });
    expect(s.overrides).toEqual({});
    expect(await auditOf(t(), org.id, 'org.settings_changed')).toHaveLength(0);

    // The edges are accepted: 500 domains, 1 byte, the deployment's maximum.
    const ok = await admin.api.call(api.external.patchSettings, {
      params: { id: org.id },
      body: { blockDomains: Array.from({ length: 500 }, (_, i) => `d${i}.example`), maxFileBytes: 1 },
    });
    expect(ok.policy.blockDomains).toHaveLength(500);
    expect(ok.policy.maxFileBytes).toBe(1);
    expect((await admin.api.call(api.external.patchSettings, { params: { id: org.id }, body: { maxFileBytes: t().ctx.config.maxFileBytes } })).policy.maxFileBytes).toBe(
      t().ctx.config.maxFileBytes,
    );
  });
});
