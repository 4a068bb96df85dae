import { expect, it } from 'vitest';
import { nowIso } from '../db/util.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser } from '../testing/factories.js';
import { doCreateSession, findSession, SESSION_CACHE_TTL_MS } from './sessions.js';

describeEachDb('accounts: session cache', (t) => {
  it('refuses a session that expires while it is cached, well within the cache time', async () => {
    const u = await makeUser(t());
    const { token, sessionId } = await doCreateSession(t().ctx.db, u.user.id);
    const expiresAt = Date.now() + 300;
    await t().ctx.db.updateTable('sessions').set({ expires_at: nowIso(expiresAt) }).where('id', '=', sessionId).execute();

    const before = await findSession(t().ctx.db, token);
    expect(before?.sessionId).toBe(sessionId);
    const cachedAt = Date.now();
    while (Date.now() <= expiresAt) await new Promise((r) => setTimeout(r, 20));
    // Still inside the cache's lifetime: only the expiry check on a hit can refuse it.
    expect(Date.now() - cachedAt).toBeLessThan(SESSION_CACHE_TTL_MS);
    expect(await findSession(t().ctx.db, token)).toBeNull();
    // The user's other session is not touched.
    expect((await findSession(t().ctx.db, u.token))?.user.id).toBe(u.user.id);
  });
});
