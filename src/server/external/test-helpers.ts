import { expect } from 'vitest';
import { api } from '../../shared/api/index.js';
import type { Stage } from '../../shared/api/shapes.js';
import { linkIn } from '../testing/smtp-sink.js';
import { TEST_PASSWORD, uniq } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';

export { cid, expectApiError, recordEvents } from '../conversations/test-helpers.js';

export async function setStage(t: TestServer, stage: Stage): Promise<void> {
  await t.ctx.settings.setStage(stage);
  t.ctx.settings.invalidate();
}

/**
 * Signs a person up through the real API and opens the verification link mailed over SMTP:
 * what a new person does. Answers a signed-in client.
 */
export async function signUpAndVerify(t: TestServer, email: string, displayName = `New ${uniq()}`) {
  const anon = t.anon();
  await anon.call(api.auth.signup, { body: { email, password: TEST_PASSWORD, displayName } });
  const mail = await t.smtp.waitFor(email, (m) => /verify\?token=/.test(m.text));
  const token = new URL(linkIn(mail)).searchParams.get('token');
  expect(token).toBeTruthy();
  const verified = await anon.call(api.auth.verify, { body: { token: token! } });
  const login = await anon.call(api.auth.login, { body: { email, password: TEST_PASSWORD } });
  return { user: verified.user, token: login.token, api: t.client(login.token) };
}

/** Audit entries of an org with one action, read straight from the log. */
export async function auditOf(t: TestServer, orgId: string, action: string) {
  const rows = await t.ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId).where('action', '=', action).orderBy('created_at').execute();
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}
