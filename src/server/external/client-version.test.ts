import { expect, it } from 'vitest';
import { runCli } from '../../cli/testing.js';
import { api } from '../../shared/api/index.js';
import { ParleyClient } from '../../shared/client.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { expectApiError } from './test-helpers.js';

async function quietly(argv: string[]): Promise<number> {
  return (await runCli(argv)).code;
}

describeEachDb('cross-org endpoints and old clients', (t) => {
  it('answers 426 client_too_old on every cross-org endpoint below the operator’s minimum, and nowhere else', async () => {
    const acceptOrg = await makeOrg(t().ctx, { plan: 'basic', policy: { requireAcceptance: true } });
    const rita = await makeUser(t(), { org: acceptOrg });
    const sam = await makeUser(t(), { plan: 'basic' });
    const req = await sam.api.call(api.conversations.startDirect, { body: { email: rita.email } });

    // The operator's command, against the same database the server uses.
    expect(await quietly(['client', 'min-version', 'set', '2.0.0', '--database-url', t().db.url, '--data-dir', t().db.dir])).toBe(0);
    t().ctx.settings.invalidate();
    try {
      const old = rita.api; // Parley-Client: test/1.0.0
      const calls: [string, () => Promise<unknown>][] = [
        ['directory', () => old.call(api.directory.search, { query: { q: sam.email } })],
        ['start', () => old.call(api.conversations.startDirect, { body: { email: sam.email } })],
        ['accept', () => old.call(api.external.accept, { params: { id: req.id } })],
        ['decline', () => old.call(api.external.decline, { params: { id: req.id } })],
        ['block', () => old.call(api.external.block, { params: { id: req.id } })],
        ['unblock', () => old.call(api.external.unblock, { params: { id: req.id } })],
        ['activity', () => old.call(api.activity.feed)],
      ];
      for (const [, call] of calls) {
        const e = await expectApiError(call(), 426, 'client_too_old');
        expect(e.body.error.minVersion).toBe('2.0.0');
      }
      // A client that does not say its version is treated as too old.
      const anonymous = new ParleyClient({ baseUrl: t().url, token: rita.token });
      await expectApiError(anonymous.call(api.activity.feed), 426, 'client_too_old');
      // Endpoints inside an org are not affected.
      expect((await old.call(api.conversations.list)).items.length).toBeGreaterThan(0);
      // A new enough client works, and the request was not touched by the refused calls.
      const current = new ParleyClient({ baseUrl: t().url, token: rita.token, clientName: 'web/2.1.0' });
      expect((await current.call(api.conversations.get, { params: { id: req.id } })).state).toBe('request');
      expect((await current.call(api.external.accept, { params: { id: req.id } })).state).toBe('live');
      expect((await current.call(api.directory.search, { query: { q: sam.email } })).items).toHaveLength(1);
    } finally {
      expect(await quietly(['client', 'min-version', 'clear', '--database-url', t().db.url, '--data-dir', t().db.dir])).toBe(0);
      t().ctx.settings.invalidate();
    }
    expect((await rita.api.call(api.activity.feed)).items.length).toBeGreaterThan(0);
  });
});
