import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { Message } from '../../shared/api/shapes.js';
import { ApiError } from '../../shared/client.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../testing/databases.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { asTestServer, ChildServer, openDataContext } from './child-server.js';

/**
 * What was acknowledged survives kill -9 (design.md, "Messages"): the server runs as a child
 * process, acknowledges messages, is killed without any shutdown, restarts on the same data,
 * and every acknowledged message is there with the same seq, and a retry does not duplicate it.
 */
for (const kind of testDatabases()) {
  describe(`crash recovery [${kind}]`, () => {
    let db: TestDatabase;
    const children: ChildServer[] = [];
    afterAll(async () => {
      for (const c of children) await c.crash().catch(() => undefined);
      await db?.drop();
    });

    it('keeps every acknowledged message across kill -9 and answers a retry with the original', async () => {
      db = await createTestDatabase(kind);
      const databaseUrl = kind === 'postgres' ? db.url : undefined;
      const first = await ChildServer.start({ dataDir: db.dir, databaseUrl });
      children.push(first);

      const ctx = await openDataContext(db.dir, databaseUrl);
      let a, b;
      try {
        const org = await makeOrg(ctx, { plan: 'paid' });
        a = await makeUser(asTestServer(ctx, first.url), { org });
        b = await makeUser(asTestServer(ctx, first.url), { org });
      } finally {
        await ctx.lifecycle.close();
      }
      const alice = first.client(a.token);
      const conv = await alice.call(api.conversations.startDirect, { body: { email: b.email } });

      // Both members send, 16 requests in flight; the kill lands while some are unanswered.
      const acked: Message[] = [];
      let stop = false;
      let refused = 0;
      const sender = async (api2: typeof alice) => {
        while (!stop) {
          const clientId = randomUUID();
          try {
            const m = await api2.call(api.messages.send, { params: { id: conv.id }, body: { clientId, body: `crash ${clientId}` } });
            acked.push(m);
          } catch (err) {
            // The per-user send limit: wait as told, then go on.
            if (err instanceof ApiError && err.status === 429) {
              await new Promise((r) => setTimeout(r, 200));
              continue;
            }
            refused++;
            return;
          }
        }
      };
      const bob = first.client(b.token);
      const senders = Array.from({ length: 16 }, (_, i) => sender(i % 2 ? bob : alice));
      let running = senders.length;
      for (const p of senders) void p.finally(() => running--);
      while (acked.length < 150) {
        if (running === 0) throw new Error(`senders stopped after ${acked.length} messages:\n${first.log}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      await first.crash();
      stop = true;
      await Promise.all(senders);
      expect(acked.length).toBeGreaterThanOrEqual(150);
      expect(refused).toBeGreaterThan(0);

      const second = await ChildServer.start({ dataDir: db.dir, databaseUrl });
      children.push(second);
      const alice2 = second.client(a.token);
      const stored: Message[] = [];
      for (let after = 0; ; ) {
        const page = await alice2.call(api.messages.list, { params: { id: conv.id }, query: { after, limit: 100 } });
        stored.push(...page.items);
        if (page.items.length < 100) break;
        after = page.items[page.items.length - 1]!.seq;
      }
      // Contiguous seqs, no duplicate, and every acknowledged message with its id and seq.
      expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
      const byId = new Map(stored.map((m) => [m.id, m]));
      for (const m of acked) {
        const s = byId.get(m.id);
        expect(s, `acknowledged message #${m.seq} lost`).toBeDefined();
        expect(s!.seq).toBe(m.seq);
        expect(s!.clientId).toBe(m.clientId);
        expect(s!.body).toBe(m.body);
      }

      // The sender never learned whether its last message was stored: retrying with the same
      // clientId answers the stored one (200) and never adds a second.
      const probe = acked[acked.length - 1]!;
      const res = await fetch(`${second.url}/api/v1/conversations/${conv.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${probe.senderId === a.user.id ? a.token : b.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: probe.clientId, body: probe.body }),
      });
      expect(res.status).toBe(200);
      const again = (await res.json()) as Message;
      expect(again.id).toBe(probe.id);
      expect(again.seq).toBe(probe.seq);
      const after = await alice2.call(api.messages.list, { params: { id: conv.id }, query: { after: stored.length - 1 } });
      expect(after.items.map((m) => m.seq)).toEqual([stored.length]);

      // And the restarted node goes on from the next seq.
      const next = await alice2.call(api.messages.send, { params: { id: conv.id }, body: { clientId: randomUUID(), body: 'after restart' } });
      expect(next.seq).toBe(stored.length + 1);
      await expect(second.client('bogus').call(api.conversations.list)).rejects.toBeInstanceOf(ApiError);
      await second.stop();
    }, 120_000);
  });
}
