import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { cid, expectApiError } from '../conversations/test-helpers.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser } from '../testing/factories.js';
import { insertTestConversation } from '../testing/conversations.js';
import { messageWriter } from '../conversations/writer.js';
import { doCollectGarbage } from './gc.js';
import { blobPath, download, sha256, uploadRaw } from './test-helpers.js';

describeEachDb('files: carried by messages, listed, collected', (t) => {
  async function chat() {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    return { ann, bob, conversationId: conv.id };
  }

  it('sends a message with files; history, the files list and a retry all carry them', async () => {
    const { ann, bob, conversationId } = await chat();
    const a = await uploadRaw(t(), ann, conversationId, 'a.txt', Buffer.from('aaa'), 'text/plain');
    const b = await uploadRaw(t(), ann, conversationId, 'b.bin', randomBytes(500));
    const clientId = cid();
    const fileIds = [b.json.id as string, a.json.id as string];
    const sent = await ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId, body: '', fileIds } });
    expect(sent.files.map((f) => f.id)).toEqual(fileIds);
    expect(sent.files[1]).toMatchObject({ name: 'a.txt', size: 3, sha256: sha256(Buffer.from('aaa')) });

    const retry = await ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId, body: '', fileIds } });
    expect(retry.id).toBe(sent.id);
    expect(retry.files.map((f) => f.id)).toEqual(fileIds);

    const history = await bob.api.call(api.messages.list, { params: { id: conversationId } });
    expect(history.items.find((m) => m.id === sent.id)?.files.map((f) => f.id)).toEqual(fileIds);

    const listed = await bob.api.call(api.files.listForConversation, { params: { id: conversationId } });
    expect(listed.items.map((f) => f.id).sort()).toEqual([...fileIds].sort());
  });

  it('refuses files that are not the sender’s own uploads to this chat, or already attached', async () => {
    const { ann, bob, conversationId } = await chat();
    const other = await chat();
    const bobs = await uploadRaw(t(), bob, conversationId, 'bob.txt', Buffer.from('b'));
    const elsewhere = await uploadRaw(t(), other.ann, other.conversationId, 'x.txt', Buffer.from('x'));
    const own = await uploadRaw(t(), ann, conversationId, 'own.txt', Buffer.from('o'));
    const send = (fileIds: string[]) => ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: 'hi', fileIds } });
    await expectApiError(send([bobs.json.id as string]), 400, 'invalid_request');
    await expectApiError(send([elsewhere.json.id as string]), 400, 'invalid_request');
    await expectApiError(send(['nosuchfile']), 400, 'invalid_request');
    // The same file twice is refused with a message that says so, and nothing is stored.
    const twice = await expectApiError(send([own.json.id as string, own.json.id as string]), 400, 'invalid_request');
    expect(twice.message).toMatch(/only once/);
    expect((await ann.api.call(api.messages.list, { params: { id: conversationId }, query: { after: 0 } })).items).toHaveLength(0);
    await send([own.json.id as string]);
    await expectApiError(send([own.json.id as string]), 400, 'invalid_request');
  });

  it('gives a file to one of many concurrent sends; the others are refused and store nothing', async () => {
    const { ann, conversationId } = await chat();
    const up = await uploadRaw(t(), ann, conversationId, 'one.txt', Buffer.from('one'));
    const answers = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: i % 2 ? '' : `take ${i}`, fileIds: [up.json.id as string] } })),
    );
    const sent = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.files.map((f) => f.id)).toEqual([up.json.id]);
    for (const a of answers) if (a.status === 'rejected') expect(a.reason).toMatchObject({ status: 400, code: 'invalid_request' });
    const rows = await t().ctx.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute();
    expect(rows.map((r) => r.id)).toEqual([sent[0]!.id]);
  });

  it('refuses a send whose file was collected after the send was checked, storing nothing', async () => {
    const { ann, conversationId } = await chat();
    const up = await uploadRaw(t(), ann, conversationId, 'gone.txt', Buffer.from('gone'));
    // What the collector does to an old unsent upload, between the send's check and its storing.
    await t().ctx.db.deleteFrom('files').where('id', '=', up.json.id as string).execute();
    const send = messageWriter(t().ctx).submit({ conversationId, senderId: ann.user.id, clientId: cid(), body: '', fileIds: [up.json.id as string] });
    await expect(send).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    const rows = await t().ctx.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute();
    expect(rows).toEqual([]);
  });

  it('paginates the files of a chat, newest first', async () => {
    const { ann, bob, conversationId } = await chat();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const up = await uploadRaw(t(), ann, conversationId, `f${i}.txt`, Buffer.from(String(i)));
      await ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: `m${i}`, fileIds: [up.json.id as string] } });
      ids.push(up.json.id as string);
    }
    // An upload never sent is not "shared".
    await uploadRaw(t(), ann, conversationId, 'draft.txt', Buffer.from('d'));
    const p1 = await bob.api.call(api.files.listForConversation, { params: { id: conversationId }, query: { limit: 3 } });
    expect(p1.items.map((f) => f.id)).toEqual(ids.slice(2).reverse());
    const p2 = await bob.api.call(api.files.listForConversation, { params: { id: conversationId }, query: { limit: 3, cursor: p1.next } });
    expect(p2.items.map((f) => f.id)).toEqual(ids.slice(0, 2).reverse());
    expect(p2.next).toBeUndefined();
    await expectApiError(bob.api.call(api.files.listForConversation, { params: { id: conversationId }, query: { limit: 1000 } }), 400, 'invalid_request');
  });

  it('deleting a message removes access to its files; collection removes them and their blob', async () => {
    const { ann, bob, conversationId } = await chat();
    const data = randomBytes(4096);
    const up = await uploadRaw(t(), ann, conversationId, 'gone.bin', data);
    const id = up.json.id as string;
    const sent = await ann.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: cid(), body: 'x', fileIds: [id] } });
    expect((await download(t(), bob, id)).res.status).toBe(200);
    const tomb = await ann.api.call(api.messages.remove, { params: { id: conversationId, messageId: sent.id } });
    expect(tomb.files).toEqual([]);
    expect((await download(t(), bob, id)).res.status).toBe(404);
    expect((await download(t(), ann, id)).res.status).toBe(404);
    expect((await bob.api.call(api.files.listForConversation, { params: { id: conversationId } })).items).toEqual([]);
    expect(existsSync(blobPath(t(), sha256(data)))).toBe(true);
    const r = await doCollectGarbage(t().ctx, { keepRecentBlobsMs: 0 });
    expect(r.filesRemoved).toBeGreaterThanOrEqual(1);
    expect(await t().ctx.db.selectFrom('files').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(existsSync(blobPath(t(), sha256(data)))).toBe(false);
  });

  it('keeps a blob another file still uses, and recent unsent uploads', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const c1 = await insertTestConversation(t().ctx, { members: [ann] });
    const c2 = await insertTestConversation(t().ctx, { members: [ann] });
    const data = randomBytes(2048);
    const first = await uploadRaw(t(), ann, c1, 'one.bin', data);
    const second = await uploadRaw(t(), ann, c2, 'two.bin', data);
    const loner = randomBytes(1024);
    const third = await uploadRaw(t(), ann, c2, 'three.bin', loner);

    // Within the hour, nothing unsent is collected.
    await doCollectGarbage(t().ctx, { keepRecentBlobsMs: 0 });
    expect(await t().ctx.db.selectFrom('files').select('id').where('id', 'in', [first.json.id as string, second.json.id as string]).execute()).toHaveLength(2);

    // Pretend `first` and `third` were never sent and are two hours old; `second` is sent.
    const old = new Date(Date.now() - 2 * 3600_000).toISOString();
    await t().ctx.db.updateTable('files').set({ created_at: old }).where('id', 'in', [first.json.id as string, third.json.id as string]).execute();
    const sent = await ann.api.call(api.messages.send, { params: { id: c2 }, body: { clientId: cid(), body: 'x', fileIds: [second.json.id as string] } });
    expect(sent.files).toHaveLength(1);

    const r = await doCollectGarbage(t().ctx, { keepRecentBlobsMs: 0 });
    expect(r.filesRemoved).toBeGreaterThanOrEqual(2);
    const left = await t().ctx.db.selectFrom('files').select('id').where('id', 'in', [first.json.id as string, second.json.id as string, third.json.id as string]).execute();
    expect(left.map((x) => x.id)).toEqual([second.json.id]);
    // The shared blob stays for `second`; the lone one is gone.
    expect(existsSync(blobPath(t(), sha256(data)))).toBe(true);
    expect(existsSync(blobPath(t(), sha256(loner)))).toBe(false);
    const dl = await download(t(), ann, second.json.id as string);
    expect(sha256(dl.body)).toBe(sha256(data));
  });

  it('keeps a recently written blob even when unreferenced (an identical upload may be finishing)', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const c = await insertTestConversation(t().ctx, { members: [ann] });
    const data = randomBytes(1500);
    const up = await uploadRaw(t(), ann, c, 'r.bin', data);
    await t().ctx.db.updateTable('files').set({ created_at: new Date(Date.now() - 2 * 3600_000).toISOString() }).where('id', '=', up.json.id as string).execute();
    const r = await doCollectGarbage(t().ctx);
    expect(r.filesRemoved).toBe(1);
    expect(r.blobsRemoved).toBe(0);
    expect(existsSync(blobPath(t(), sha256(data)))).toBe(true);
  });
});
