import { afterEach, expect, it, vi } from 'vitest';
import { openDatabase, type Db } from '../db/index.js';
import { OUTSIDE_CHECK_MS, WATCHED_CACHE_TTL_MS } from '../db/outside-writes.js';
import { nowIso } from '../db/util.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeUser } from '../testing/factories.js';
import { doCreateSession, findSession, SESSION_CACHE_TTL_MS } from './sessions.js';

describeEachDb('accounts: session cache', (t, kind) => {
  // SQLite watches for writes from outside the node, so its entries may live longer.
  const lifetime = kind === 'sqlite' ? WATCHED_CACHE_TTL_MS : SESSION_CACHE_TTL_MS;
  let other: Db | null = null;
  afterEach(async () => {
    vi.useRealTimers();
    await other?.close();
    other = null;
  });

  it('a reload of an unchanged session keeps the cached copy; a change to the user is seen', async () => {
    const u = await makeUser(t());
    const { token } = await doCreateSession(t().ctx.db, u.user.id);
    const first = await findSession(t().ctx.db, token);
    expect(first?.user.id).toBe(u.user.id);
    // Past the cache's lifetime (only the clock moves): the session is read again.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + lifetime + 1);
    expect(await findSession(t().ctx.db, token)).toBe(first);
    // The user changes behind the node's back, on its own connection (no code of the node would
    // do that without forgetting the session): the next reload answers it.
    await t().ctx.db.updateTable('users').set({ display_name: 'Renamed elsewhere' }).where('id', '=', u.user.id).execute();
    expect(await findSession(t().ctx.db, token)).toBe(first);
    if (kind === 'sqlite') {
      // Nothing came from outside: past the short lifetime of other databases, still no read.
      vi.setSystemTime(Date.now() + SESSION_CACHE_TTL_MS + 1);
      expect(await findSession(t().ctx.db, token)).toBe(first);
    }
    vi.setSystemTime(Date.now() + lifetime + 1);
    const renamed = await findSession(t().ctx.db, token);
    expect(renamed).not.toBe(first);
    expect(renamed?.user.display_name).toBe('Renamed elsewhere');
    expect(first?.user.display_name).not.toBe('Renamed elsewhere');
  });

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

  it('an operator\'s change in another process is seen within moments on SQLite, and within the short lifetime elsewhere', async () => {
    const u = await makeUser(t());
    const { token } = await doCreateSession(t().ctx.db, u.user.id);
    const first = await findSession(t().ctx.db, token);
    expect(first?.user.display_name).not.toBe('Renamed by an operator');
    other = openDatabase(t().db.url);
    await other.kysely.updateTable('users').set({ display_name: 'Renamed by an operator' }).where('id', '=', u.user.id).execute();
    if (kind === 'sqlite') {
      await new Promise((r) => setTimeout(r, OUTSIDE_CHECK_MS + 20));
    } else {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + SESSION_CACHE_TTL_MS + 1);
    }
    expect((await findSession(t().ctx.db, token))?.user.display_name).toBe('Renamed by an operator');
  });

  // PostgreSQL: the gateway's tests show a revocation by another process taking effect there.
  if (kind === 'sqlite')
  it('a session revoked in another process is refused well within the short lifetime', async () => {
    const u = await makeUser(t());
    const { token, sessionId } = await doCreateSession(t().ctx.db, u.user.id);
    expect((await findSession(t().ctx.db, token))?.sessionId).toBe(sessionId);
    const revokedAt = Date.now();
    other = openDatabase(t().db.url);
    await other.kysely.updateTable('sessions').set({ revoked_at: nowIso() }).where('id', '=', sessionId).execute();
    await new Promise((r) => setTimeout(r, OUTSIDE_CHECK_MS + 20));
    expect(await findSession(t().ctx.db, token)).toBeNull();
    expect(Date.now() - revokedAt).toBeLessThan(SESSION_CACHE_TTL_MS);
  });
});
