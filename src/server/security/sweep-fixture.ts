import { api } from '../../shared/api/index.js';
import { doCreateSession } from '../accounts/sessions.js';
import { makeOrg, makeUser, uniq } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';
import { cid, uploadFile } from './helpers.js';

/**
 * The data one operation of the bad-input sweep runs against: an org whose admin is the caller,
 * a colleague, a group chat with a message and a file, and a direct chat. Real ids make the
 * "almost valid" requests reach the services instead of stopping at a 404.
 */
export async function sweepFixture(t: TestServer) {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const admin = await makeUser(t, { org, role: 'admin' });
  const member = await makeUser(t, { org });
  const group = await admin.api.call(api.conversations.create, { body: { title: `Sweep ${uniq()}`, memberIds: [member.user.id] } });
  const fileId = await uploadFile(t, admin, group.id, 'sweep.txt', 'sweep file');
  const message = await admin.api.call(api.messages.send, { params: { id: group.id }, body: { clientId: cid(), body: 'sweep', fileIds: [fileId] } });
  const direct = await admin.api.call(api.conversations.startDirect, { body: { email: member.email } });

  const values: Record<string, () => unknown> = {
    email: () => `sweep-${uniq()}@${org.domain}`,
    password: () => 'a sweep password 123',
    displayName: () => 'Sweep Person',
    title: () => 'Sweep title',
    clientId: () => cid(),
    body: () => 'sweep body',
    memberIds: () => [member.user.id],
    userIds: () => [member.user.id],
    fileIds: () => [],
    seq: () => 1,
    token: () => 'not-a-real-token',
    role: () => 'member',
    conversationId: () => group.id,
    name: () => 'sweep.txt',
    q: () => 'sweep',
    limit: () => 10,
  };

  return {
    admin,
    member,
    group,
    direct,
    fileId,
    message,
    values,
    bodyLimit: t.ctx.config.bodyLimit,
    /** A fresh session of the caller for every request: a logout variant must not end the sweep. */
    token: async () => (await doCreateSession(t.ctx.db, admin.user.id)).token,
    /** The value of a path parameter of `path`, from the fixture. */
    pathValue(path: string, name: string): string {
      if (name === 'messageId') return message.id;
      if (name === 'uid' || name === 'userId') return member.user.id;
      if (path.startsWith('/api/v1/orgs/')) return org.id;
      if (path.startsWith('/api/v1/files/')) return fileId;
      if (path.startsWith('/api/v1/conversations/')) return group.id;
      return 'sweep';
    },
    /** A copy of a valid body with its one-off values (emails, clientIds) made anew. */
    fresh(good: Record<string, unknown>): Record<string, unknown> {
      const out = { ...good };
      for (const k of ['email', 'clientId']) if (k in out) out[k] = values[k]!();
      return out;
    },
  };
}
export type SweepFixture = Awaited<ReturnType<typeof sweepFixture>>;
