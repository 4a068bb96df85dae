import { expect, it } from 'vitest';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { precompiled } from './precompiled.js';

const usersOfOrg = precompiled(1, (db, orgId: string) =>
  db
    .selectFrom('users')
    .innerJoin('orgs', 'orgs.id', 'users.org_id')
    .selectAll('users')
    .select(['orgs.name as org_name', 'orgs.id as id'])
    .where('users.org_id', '=', orgId)
    .orderBy('users.email'),
);

describeEachDb('db: precompiled queries', (t) => {
  it('answer the same rows as the query built anew, keys in column order, nulls and numbers kept', async () => {
    const org = await makeOrg(t().ctx);
    const a = await makeUser(t(), { org });
    const b = await makeUser(t(), { org });
    const built = await t()
      .ctx.db.selectFrom('users')
      .innerJoin('orgs', 'orgs.id', 'users.org_id')
      .selectAll('users')
      .select(['orgs.name as org_name', 'orgs.id as id'])
      .where('users.org_id', '=', a.user.org_id)
      .orderBy('users.email')
      .execute();
    const rows = await usersOfOrg.execute(t().ctx.db, a.user.org_id);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(built);
    // A repeated name (`id`) keeps its last column, as a row built by the driver does.
    expect(rows.map((r) => r.id)).toEqual([a.user.org_id, a.user.org_id]);
    expect(rows.map((r) => Object.keys(r))).toEqual(built.map((r) => Object.keys(r)));
    expect(new Set(rows.map((r) => r.email))).toEqual(new Set([a.email, b.email]));
    expect(rows[0]!.deleted_at).toBeNull();
    // Run again, the statement already prepared: the same answer.
    expect(await usersOfOrg.execute(t().ctx.db, a.user.org_id)).toEqual(built);
    expect(await usersOfOrg.executeTakeFirst(t().ctx.db, 'no-such-org')).toBeUndefined();
  });
});
