import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { describeEachDb } from '../testing/each-db.js';
import type { TestServer } from '../testing/server.js';
import { expectNoLeak, expectNoServerError, raw } from './helpers.js';

/**
 * The directory never lists another org's people by prefix, name, pattern or partial email;
 * only an exact full email (compared case-insensitively after trimming, design.md rule 1)
 * finds them. Searches are rate limited per user, so probes are spread over several searchers.
 */

async function search(t: TestServer, who: TestUser, q: string) {
  return raw(t, 'GET', `/api/v1/directory/search?q=${encodeURIComponent(q)}`, { token: who.token });
}

describeEachDb('security: directory probing', (t) => {
  it("never finds another org's people by prefix, wildcard, pattern or partial email", async () => {
    const orgA = await makeOrg(t().ctx, { plan: 'basic', name: 'Zyxhidden Corp' });
    const target = await makeUser(t(), { org: orgA, displayName: 'Quentin Zyxhidden', email: `quentin.zyx@${orgA.domain}` });
    const local = 'quentin.zyx';
    const domain = orgA.domain;
    const secrets = [target.user.id, target.email, 'Zyxhidden', domain];
    const probes = [
      '%',
      '_',
      '*',
      '%%',
      '_%',
      '%@%',
      'q%',
      'q_entin',
      'Quentin',
      'quentin',
      'QUENTIN',
      'Zyxhidden',
      'zyx',
      'Quentin Zyxhidden',
      local,
      `${local}@`,
      `@${domain}`,
      domain,
      `${local}@${domain.slice(0, -3)}`,
      `${local}@${domain}.`,
      `${local}.@${domain}`,
      `%@${domain}`,
      `_uentin.zyx@${domain}`,
      `${local}%@${domain}`,
      `quentin*@${domain}`,
      `"${local}"@${domain}`,
      `${local}+x@${domain}`,
      `${local}@${domain}@${domain}`,
      `QUENTİN.ZYX@${domain}`, // Turkish dotted capital I folds to i + combining dot, not "i"
      `quentın.zyx@${domain}`, // dotless i
      `\u212Auentin@${domain}`, // Kelvin sign
      `quentin.zyx@${domain.toUpperCase().replace('EXAMPLE', 'EXAMPLΕ')}`, // Greek capital epsilon
      `quentin.zyx\u200b@${domain}`,
      `${local}@${domain};`,
      `${local}@${domain}' OR '1'='1`,
    ];
    // Searchers of another org, 20 probes each (the limit is 30 searches a minute).
    for (let i = 0; i < probes.length; i += 20) {
      const searcher = await makeUser(t(), { plan: 'basic' });
      for (const q of probes.slice(i, i + 20)) {
        const res = await search(t(), searcher, q);
        expectNoServerError(res, q);
        if (res.status === 200) expect((res.json as { items: unknown[] }).items, q).toEqual([]);
        expectNoLeak(res, secrets, `search ${JSON.stringify(q)}`);
      }
    }
  });

  it('finds them by their exact email, whatever its case or surrounding spaces, and only then', async () => {
    const orgA = await makeOrg(t().ctx, { plan: 'basic' });
    const target = await makeUser(t(), { org: orgA, email: `exact.person@${orgA.domain}` });
    const searcher = await makeUser(t(), { plan: 'basic' });
    for (const q of [target.email, target.email.toUpperCase(), `  ${target.email}\t`, `\u00a0${target.email}\u00a0`, `Exact.Person@${orgA.domain.toUpperCase()}`]) {
      const res = await search(t(), searcher, q);
      expect(res.status, q).toBe(200);
      const items = (res.json as { items: { userId: string; external: boolean }[] }).items;
      expect(items.map((i) => [i.userId, i.external]), q).toEqual([[target.user.id, true]]);
    }
    // A deactivated person is not found by email either, and is not reported as "not registered".
    const admin = await makeUser(t(), { org: orgA, role: 'admin' });
    await admin.api.call(api.orgs.deactivateUser, { params: { id: orgA.id, uid: target.user.id } });
    const gone = await search(t(), searcher, target.email);
    expect(gone.json).toEqual({ items: [] });
  });

  it("lists one's own org by prefix with wildcards taken literally", async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const percent = await makeUser(t(), { org, displayName: '100% Sure' });
    await makeUser(t(), { org, displayName: '1000 Other' });
    const literal = await search(t(), me, '100%');
    expect((literal.json as { items: { userId: string }[] }).items.map((i) => i.userId)).toEqual([percent.user.id]);
    const underscore = await search(t(), me, '_');
    expect((underscore.json as { items: unknown[] }).items).toEqual([]);
    const star = await search(t(), me, '%');
    expect((star.json as { items: { userId: string }[] }).items.map((i) => i.userId)).toEqual([]);
  });
});
