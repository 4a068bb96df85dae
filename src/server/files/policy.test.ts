import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { doRevokeUserSessions } from '../accounts/sessions.js';
import { setStage } from '../external/test-helpers.js';
import { describeEachDb } from '../testing/each-db.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import { insertTestConversation } from '../testing/conversations.js';
import { download, repeatChunks, sendUntilAnswered, tempLeftovers, uploadRaw, uploadUrl, waitFor } from './test-helpers.js';

const KIB = 1024;

describeEachDb('files: membership, cross-org policy and limits', (t) => {
  async function crossOrgChat(a: Parameters<typeof makeOrg>[1] = {}, b: Parameters<typeof makeOrg>[1] = {}) {
    await setStage(t(), 'ga');
    const orgA = await makeOrg(t().ctx, { plan: 'basic', ...a });
    const orgB = await makeOrg(t().ctx, { plan: 'basic', ...b });
    const ann = await makeUser(t(), { org: orgA });
    const bob = await makeUser(t(), { org: orgB });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    return { ann, bob, conv };
  }

  async function rowsIn(conversationId: string) {
    return t().ctx.db.selectFrom('files').select('id').where('conversation_id', '=', conversationId).execute();
  }

  it('answers 404 to non-members and to people of another org, revealing nothing', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const eve = await makeUser(t(), { org });
    const mallory = await makeUser(t());
    const conversationId = await insertTestConversation(t().ctx, { members: [ann, bob] });
    const up = await uploadRaw(t(), ann, conversationId, 'secret.txt', Buffer.from('secret'), 'text/plain');
    expect(up.status).toBe(201);
    for (const outsider of [eve, mallory]) {
      const dl = await download(t(), outsider, up.json.id as string);
      expect(dl.res.status).toBe(404);
      expect(JSON.parse(dl.body.toString())).toMatchObject({ error: { code: 'not_found' } });
      const missing = await download(t(), outsider, 'doesnotexist1');
      expect(missing.body.toString()).toBe(dl.body.toString());
      const upOutsider = await uploadRaw(t(), outsider, conversationId, 'x.txt', Buffer.from('x'));
      expect(upOutsider.status).toBe(404);
      const list = await fetch(`${t().url}/api/v1/conversations/${conversationId}/files`, { headers: outsider.api.headers() });
      expect(list.status).toBe(404);
    }
    const unknownConv = await uploadRaw(t(), ann, 'nosuchconversation', 'x.txt', Buffer.from('x'));
    expect(unknownConv.status).toBe(404);
  });

  it('stops access for a member who left', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann, bob] });
    const id = (await uploadRaw(t(), ann, conversationId, 'a.txt', Buffer.from('a'))).json.id as string;
    expect((await download(t(), bob, id)).res.status).toBe(200);
    await t().ctx.db.updateTable('conversation_members').set({ left_at: new Date().toISOString() }).where('user_id', '=', bob.user.id).execute();
    expect((await download(t(), bob, id)).res.status).toBe(404);
  });

  it('shares files across orgs when both allow it, within the smaller limit', async () => {
    const { ann, bob, conv } = await crossOrgChat({ policy: { maxFileBytes: 64 * KIB } }, { policy: { maxFileBytes: 32 * KIB } });
    expect(conv.state).toBe('live');
    const ok = await uploadRaw(t(), ann, conv.id, 'fits.bin', randomBytes(32 * KIB));
    expect(ok.status).toBe(201);
    expect((await download(t(), bob, ok.json.id as string)).res.status).toBe(200);
    for (const who of [ann, bob]) {
      const big = await uploadRaw(t(), who, conv.id, 'big.bin', randomBytes(32 * KIB + 1));
      expect(big.status).toBe(413);
      expect(big.json.error).toMatchObject({ code: 'payload_too_large', reason: 'file_too_large' });
    }
  });

  it('refuses cross-org files when either org has externalFiles off', async () => {
    for (const [a, b] of [
      [{ policy: { externalFiles: false } }, {}],
      [{}, { policy: { externalFiles: false } }],
    ] as const) {
      const { ann, bob, conv } = await crossOrgChat(a, b);
      for (const who of [ann, bob]) {
        const up = await uploadRaw(t(), who, conv.id, 'x.bin', Buffer.from('x'));
        expect(up.status).toBe(403);
        expect(up.json.error).toMatchObject({ code: 'policy_refused', reason: 'external_files_disabled' });
      }
      expect(await rowsIn(conv.id)).toHaveLength(0);
    }
  });

  it('keeps files inside one org even when externalFiles is off', async () => {
    const org = await makeOrg(t().ctx, { policy: { externalFiles: false } });
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann, bob] });
    expect((await uploadRaw(t(), ann, conversationId, 'x.bin', Buffer.from('x'))).status).toBe(201);
  });

  it('refuses files in a message request that was not accepted yet (request_limit)', async () => {
    const { ann, bob, conv } = await crossOrgChat({}, { plan: 'paid', policy: { externalMessaging: true, requireAcceptance: true } });
    expect(conv.state).toBe('request');
    for (const who of [ann, bob]) {
      const up = await uploadRaw(t(), who, conv.id, 'x.bin', Buffer.from('x'));
      expect(up.status).toBe(403);
      expect(up.json.error).toMatchObject({ code: 'policy_refused', reason: 'request_limit' });
    }
  });

  it('refuses uploads into an external chat that policy has made read-only, and accepts them again once allowed', async () => {
    const { ann, bob, conv } = await crossOrgChat();
    expect(conv.state).toBe('live');
    // Bob's org switches external messaging off: the chat is read-only for both sides.
    await t().ctx.db.updateTable('orgs').set({ policy: JSON.stringify({ externalMessaging: false }) }).where('id', '=', bob.org.id).execute();
    t().ctx.settings.invalidate();
    for (const [who, reason] of [
      [ann, 'recipient_org_not_accepting'],
      [bob, 'sender_org_disabled'],
    ] as const) {
      const up = await uploadRaw(t(), who, conv.id, 'x.bin', Buffer.from('x'));
      expect(up.status).toBe(403);
      expect(up.json.error).toMatchObject({ code: 'policy_refused', reason });
    }
    expect(await rowsIn(conv.id)).toHaveLength(0);
    await t().ctx.db.updateTable('orgs').set({ policy: JSON.stringify({}) }).where('id', '=', bob.org.id).execute();
    t().ctx.settings.invalidate();
    expect((await uploadRaw(t(), ann, conv.id, 'x.bin', Buffer.from('x'))).status).toBe(201);
  });

  it('applies the deployment maximum below the org limit', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann] });
    const saved = t().ctx.config.maxFileBytes;
    t().ctx.config.maxFileBytes = 10 * KIB;
    try {
      const up = await uploadRaw(t(), ann, conversationId, 'x.bin', randomBytes(10 * KIB + 1));
      expect(up.status).toBe(413);
      expect(up.json.error?.reason).toBe('file_too_large');
      expect((await uploadRaw(t(), ann, conversationId, 'y.bin', randomBytes(10 * KIB))).status).toBe(201);
    } finally {
      t().ctx.config.maxFileBytes = saved;
    }
  });

  async function limitedChat(maxFileBytes: number): Promise<{ ann: TestUser; conversationId: string }> {
    const org = await makeOrg(t().ctx, { policy: { maxFileBytes } });
    const ann = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann] });
    return { ann, conversationId };
  }

  it('answers 413 from Content-Length before reading the body', async () => {
    const { ann, conversationId } = await limitedChat(64 * KIB);
    // Declares 64 MiB but would send it slowly: the answer must come without the body.
    const answer = await sendUntilAnswered(
      uploadUrl(t(), conversationId, 'huge.bin'),
      { ...ann.api.headers(), 'content-type': 'application/octet-stream', 'content-length': 64 * 1024 * KIB },
      repeatChunks(Buffer.alloc(16 * KIB), 4096),
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large', reason: 'file_too_large' } });
    expect(answer.bytesWritten).toBeLessThan(64 * 1024 * KIB);
    expect(await rowsIn(conversationId)).toHaveLength(0);
    await waitFor(() => tempLeftovers(t()).length === 0);
  });

  it('answers 413 as soon as a chunked body passes the limit and removes the partial file', async () => {
    const { ann, conversationId } = await limitedChat(256 * KIB);
    const answer = await sendUntilAnswered(
      uploadUrl(t(), conversationId, 'stream.bin'),
      { ...ann.api.headers(), 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      repeatChunks(Buffer.alloc(16 * KIB, 7), 64 * 1024),
    );
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large', reason: 'file_too_large' } });
    // Answered long before the 1 GiB the client was ready to send.
    expect(answer.bytesWritten).toBeLessThan(64 * 1024 * KIB);
    expect(await rowsIn(conversationId)).toHaveLength(0);
    await waitFor(() => tempLeftovers(t()).length === 0);
    expect((await fetch(`${t().url}/healthz`)).status).toBe(200);
  });

  it('answers 413 for an oversized multipart file part', async () => {
    const { ann, conversationId } = await limitedChat(32 * KIB);
    const fd = new FormData();
    fd.set('file', new Blob([new Uint8Array(randomBytes(40 * KIB))]), 'big.bin');
    const res = await fetch(uploadUrl(t(), conversationId), { method: 'POST', headers: ann.api.headers(), body: fd });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large', reason: 'file_too_large' } });
    expect(await rowsIn(conversationId)).toHaveLength(0);
    await waitFor(() => tempLeftovers(t()).length === 0);
  });

  it('drops an upload the client abandons half-way and keeps serving', async () => {
    const { ann, conversationId } = await limitedChat(100 * 1024 * KIB);
    const req = http.request(uploadUrl(t(), conversationId, 'half.bin'), {
      method: 'POST',
      headers: { ...ann.api.headers(), 'content-type': 'application/octet-stream', 'content-length': 8 * 1024 * KIB },
    });
    req.on('error', () => undefined);
    req.write(randomBytes(2 * 1024 * KIB));
    // The server is writing the partial file…
    await waitFor(() => tempLeftovers(t()).some((f) => f.endsWith('.part')));
    req.destroy();
    // …and removes it once the client is gone, recording nothing.
    await waitFor(() => tempLeftovers(t()).length === 0);
    expect(await rowsIn(conversationId)).toHaveLength(0);
    expect((await fetch(`${t().url}/healthz`)).status).toBe(200);
    const after = await uploadRaw(t(), ann, conversationId, 'after.bin', Buffer.from('still works'));
    expect(after.status).toBe(201);
  });

  it('records nothing from an upload whose session ends while it streams (deactivated, signed out)', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const bob = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann, bob] });
    const size = 1024 * KIB;
    const req = http.request(uploadUrl(t(), conversationId, 'straddle.bin'), {
      method: 'POST',
      headers: { ...ann.api.headers(), 'content-type': 'application/octet-stream', 'content-length': size },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    req.write(randomBytes(size / 2));
    await waitFor(() => tempLeftovers(t()).some((f) => f.endsWith('.part')));
    // What deactivating Ann does to her sessions, while her upload is half-way.
    await doRevokeUserSessions(t().ctx.db, ann.user.id);
    req.end(randomBytes(size / 2));
    const res = await answer;
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'unauthenticated' } });
    expect(await rowsIn(conversationId)).toHaveLength(0);
    await waitFor(() => tempLeftovers(t()).length === 0);
  });
});
