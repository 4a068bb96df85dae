import { afterEach, expect, it } from 'vitest';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser } from '../testing/factories.js';
import { openDatabase, type Db } from './index.js';
import { OUTSIDE_CHECK_MS, outsideWrites } from './outside-writes.js';

describeEachDb('db: writes from outside the node', (t, kind) => {
  let other: Db | null = null;
  afterEach(async () => {
    await other?.close();
    other = null;
  });

  if (kind === 'postgres') {
    it('PostgreSQL has no such watch (its caches keep short lifetimes)', () => {
      expect(outsideWrites(t().ctx.db)).toBeNull();
    });
    return;
  }

  it("changes after another connection's commit, not after the node's own, and is looked at once per interval", async () => {
    const watch = outsideWrites(t().ctx.db)!;
    expect(watch).not.toBeNull();
    expect(outsideWrites(t().ctx.db)).toBe(watch);
    // The test keeps a clock of its own, ahead of the node's, so when it looks is up to the test.
    const at = Date.now() + 60_000;
    const before = watch.version(at);
    // The node's own writes are forgotten by the code that makes them, not announced here.
    const u = await makeUser(t());
    expect(watch.version(at + OUTSIDE_CHECK_MS)).toBe(before);

    other = openDatabase(t().db.url);
    await other.kysely.updateTable('users').set({ display_name: 'Changed elsewhere' }).where('id', '=', u.user.id).execute();
    // Looked at 1 ms ago: that answer stands until the next look.
    expect(watch.version(at + OUTSIDE_CHECK_MS + 1)).toBe(before);
    const after = watch.version(at + 2 * OUTSIDE_CHECK_MS);
    expect(after).not.toBe(before);
    expect(watch.version(at + 3 * OUTSIDE_CHECK_MS)).toBe(after);
  });
});
