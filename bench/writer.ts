/**
 * `npx tsx bench/writer.ts [--postgres [url]] [--rate N]`: the group-commit message writer alone,
 * in process (no HTTP, no WebSockets): 1,000 direct chats, 512 sends in flight (or N sends a
 * second, open loop), 10 s after a 2 s warm-up. Run it pinned to one CPU
 * (`taskset -c 0 npx tsx bench/writer.ts`) to compare with the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { directKey, insertConversation, newConversationRow } from '../src/server/conversations/store.js';
import { messageWriter } from '../src/server/conversations/writer.js';
import { openDataContext } from '../src/server/realtime/child-server.js';
import { createTestDatabase, type TestDatabase } from '../src/server/testing/databases.js';
import { openLoop } from './lib/load.js';
import { seedUsers } from './lib/setup.js';

const CHATS = 1000;
const IN_FLIGHT = 512;

async function main(): Promise<void> {
  const pgAt = process.argv.indexOf('--postgres');
  const rateAt = process.argv.indexOf('--rate');
  const rate = rateAt >= 0 ? Number(process.argv[rateAt + 1]) : 0;
  if (rateAt >= 0 && !(rate > 0)) throw new Error('--rate needs a positive number of messages a second');
  let pg: TestDatabase | null = null;
  if (pgAt >= 0) {
    const url = process.argv[pgAt + 1];
    process.env.PARLEY_TEST_DATABASE_URL = (url?.startsWith('--') ? undefined : url) ?? process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    pg = await createTestDatabase('postgres');
  }
  const dir = pg?.dir ?? mkdtempSync(path.join(os.tmpdir(), 'parley-writer-'));
  const ctx = await openDataContext(dir, pg?.url);
  try {
    const users = await seedUsers(ctx, CHATS * 2);
    const chats: { id: string; a: string; b: string }[] = [];
    await ctx.db.transaction().execute(async (trx) => {
      for (let i = 0; i < CHATS; i++) {
        const [a, b] = [users[2 * i]!.id, users[2 * i + 1]!.id];
        const row = newConversationRow({ kind: 'direct', state: 'live', direct_key: directKey(a, b), created_by: a });
        const id = row.id;
        await insertConversation(trx, row, [
          { userId: a, lastReadSeq: 0 },
          { userId: b, lastReadSeq: 0 },
        ]);
        chats.push({ id, a, b });
      }
    });
    const writer = messageWriter(ctx);
    let n = 0;
    const sendOne = () => {
      const i = n++;
      const c = chats[i % CHATS]!;
      return writer.submit({ conversationId: c.id, senderId: i % 2 ? c.a : c.b, clientId: `w${i}`, body: `writer message ${i} ${'x'.repeat(60)}`, fileIds: [] });
    };
    const run = async (seconds: number) => {
      if (rate) return openLoop(rate, seconds, sendOne);
      const end = performance.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (performance.now() < end) await sendOne();
        }),
      );
    };
    await run(2);
    const first = n;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await run(10);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const sent = n - first;
    console.log(`message writer alone (${pg ? 'PostgreSQL' : 'SQLite'}${rate ? `, ${rate} msg/s offered` : ''}): ${(sent / secs).toFixed(0)} durable msg/s, ${((cpu.user + cpu.system) / 1000 / sent).toFixed(3)} ms CPU per message`);
  } finally {
    await ctx.lifecycle.close();
    if (pg) await pg.drop();
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
