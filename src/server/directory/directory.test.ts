import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { ApiError } from '../../shared/client.js';
import { expectApiError } from '../conversations/test-helpers.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';

describeEachDb('directory search', (t) => {
  it('finds own-org active people by name, word or email prefix, case-insensitively, at most 20', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const tag = uniq();
    const zoe = await makeUser(t(), { org, displayName: `Zoe ${tag} Quill`, email: `zq-${tag}@${org.domain}` });
    const gone = await makeUser(t(), { org, displayName: `Zoe ${tag} Gone` });
    const admin = await makeUser(t(), { org, role: 'admin' });
    await admin.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: gone.user.id } });

    const byName = await me.api.call(api.directory.search, { query: { q: `zOE ${tag}` } });
    expect(byName.items.map((e) => e.userId)).toEqual([zoe.user.id]);
    expect(byName.items[0]).toMatchObject({ external: false, orgName: org.name, canMessage: { allowed: true }, status: 'active' });
    expect((await me.api.call(api.directory.search, { query: { q: 'quil' } })).items.map((e) => e.userId)).toContain(zoe.user.id);
    expect((await me.api.call(api.directory.search, { query: { q: `ZQ-${tag}` } })).items.map((e) => e.userId)).toEqual([zoe.user.id]);
    // Never yourself.
    expect((await me.api.call(api.directory.search, { query: { q: me.email } })).items).toEqual([]);

    for (let i = 0; i < 22; i++) await makeUser(t(), { org, displayName: `Many ${tag} ${i}` });
    expect((await me.api.call(api.directory.search, { query: { q: `many ${tag}` } })).items).toHaveLength(20);
    // Wildcards typed by a person are plain characters.
    expect((await me.api.call(api.directory.search, { query: { q: '%' } })).items).toEqual([]);
    expect((await me.api.call(api.directory.search, { query: { q: '_' } })).items).toEqual([]);
  });

  it('finds a person of another org only by their exact full email: no prefix probing', async () => {
    const mine = await makeOrg(t().ctx, { plan: 'basic' });
    const me = await makeUser(t(), { org: mine });
    const theirs = await makeOrg(t().ctx, { plan: 'channel_partner' });
    const tag = uniq();
    const them = await makeUser(t(), { org: theirs, displayName: `Xena ${tag}`, email: `xena-${tag}@${theirs.domain}` });

    for (const q of [`Xena ${tag}`, 'xena', `xena-${tag}`, `xena-${tag}@`, theirs.domain, `xena-${tag}@${theirs.domain.slice(0, 5)}`]) {
      const r = await me.api.call(api.directory.search, { query: { q } });
      expect(r.items, q).toEqual([]);
    }
    const found = await me.api.call(api.directory.search, { query: { q: `  ${them.email.toUpperCase()}  ` } });
    expect(found.notRegistered).toBeUndefined();
    expect(found.items).toEqual([
      {
        userId: them.user.id,
        email: them.email,
        displayName: `Xena ${tag}`,
        orgId: theirs.id,
        orgName: theirs.name,
        status: 'active',
        external: true,
        canMessage: { allowed: true },
      },
    ]);
  });

  it('says when a full email belongs to nobody, and whether the searcher may invite them', async () => {
    const me = await makeUser(t(), { plan: 'basic' });
    const nobody = `nobody-${uniq()}@nowhere-${uniq()}.example`;
    expect(await me.api.call(api.directory.search, { query: { q: nobody } })).toEqual({ items: [], notRegistered: true, canInvite: true });

    const paid = await makeOrg(t().ctx, { plan: 'paid' });
    const closed = await makeUser(t(), { org: paid });
    const r = await closed.api.call(api.directory.search, { query: { q: nobody } });
    expect(r).toMatchObject({ items: [], notRegistered: true, canInvite: false, invite: { allowed: false, reason: 'sender_org_disabled' } });
    // Deleted people are not found, and their email is free again (nobody holds it).
    const org = await makeOrg(t().ctx, { plan: 'basic' });
    const admin = await makeUser(t(), { org, role: 'admin' });
    const leaver = await makeUser(t(), { org });
    await admin.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: leaver.user.id } });
    expect(await me.api.call(api.directory.search, { query: { q: leaver.email } })).toMatchObject({ items: [], notRegistered: true });
  });

  it('refuses bad queries and rate-limits each user to 30 searches a minute', async () => {
    const me = await makeUser(t(), { plan: 'basic' });
    await expectApiError(me.api.call(api.directory.search, { query: { q: '   ' } }), 400, 'invalid_request');
    await expectApiError(me.api.call(api.directory.search, { query: { q: 'x'.repeat(255) } }), 400, 'invalid_request');
    await expectApiError(me.api.call(api.directory.search, { query: {} as never }), 400, 'invalid_request');
    await expectApiError(t().anon().call(api.directory.search, { query: { q: 'a' } }), 401, 'unauthenticated');

    const other = await makeUser(t(), { plan: 'basic' });
    for (let i = 0; i < 30; i++) await me.api.call(api.directory.search, { query: { q: `a${i}` } });
    const e = await expectApiError(me.api.call(api.directory.search, { query: { q: 'one more' } }), 429, 'rate_limited');
    expect(e.body.error.retryAfter).toBeGreaterThan(0);
    // Per user: someone else is not affected.
    await other.api.call(api.directory.search, { query: { q: 'fine' } });
  });

  it('holds the limit when one user searches many times at once', async () => {
    // A race does not show at every try: a few fresh users, each with a burst of 60 at once.
    for (let round = 0; round < 4; round++) {
      const me = await makeUser(t(), { plan: 'basic' });
      const answers = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => me.api.call(api.directory.search, { query: { q: `x${i}` } })));
      const refusals = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason] : []));
      for (const e of refusals) expect(e instanceof ApiError ? { status: e.status, code: e.code } : e).toEqual({ status: 429, code: 'rate_limited' });
      expect(answers.filter((a) => a.status === 'fulfilled')).toHaveLength(30);
    }
  });

  it('matches accented and non-Latin names in any case, the same on both databases', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const elodie = await makeUser(t(), { org, displayName: 'Élodie Alpha' });
    const emile = await makeUser(t(), { org, displayName: 'émile Beta' });
    const anders = await makeUser(t(), { org, displayName: 'Anders Ångström' });
    const odysseus = await makeUser(t(), { org, displayName: 'ΟΔΥΣΣΕΥΣ' });
    const ids = async (q: string) => (await me.api.call(api.directory.search, { query: { q } })).items.map((e) => e.userId);

    expect(await ids('Élodie Alpha')).toEqual([elodie.user.id]);
    expect(await ids('élodie alpha')).toEqual([elodie.user.id]);
    expect(await ids('ÉLODIE')).toEqual([elodie.user.id]);
    expect(await ids('ÉMILE')).toEqual([emile.user.id]);
    // Sorted by name as stored: "É" (U+00C9) before "é" (U+00E9).
    expect(await ids('é')).toEqual([elodie.user.id, emile.user.id]);
    expect(await ids('É')).toEqual([elodie.user.id, emile.user.id]);
    expect(await ids('Ångström')).toEqual([anders.user.id]);
    expect(await ids('ångström')).toEqual([anders.user.id]);
    expect(await ids('Å')).toEqual([anders.user.id]);
    // A capital sigma at the end of what was typed is not a final sigma: the prefix still matches.
    expect(await ids('ΟΔΥΣΣΕΥΣ')).toEqual([odysseus.user.id]);
    expect(await ids('οδυσ')).toEqual([odysseus.user.id]);
    expect(await ids('ΟΔΥΣ')).toEqual([odysseus.user.id]);
    expect(await ids('Ε')).toEqual([]);
  });
});
