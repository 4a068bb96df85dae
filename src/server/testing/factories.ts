import { randomBytes } from 'node:crypto';
import type { OrgPolicy, Plan } from '../../shared/api/shapes.js';
import type { ParleyClient } from '../../shared/client.js';
import { hashPassword } from '../accounts/passwords.js';
import { doCreateSession } from '../accounts/sessions.js';
import { getUserWithOrg, insertUser, type UserWithOrg } from '../accounts/store.js';
import { normalizeEmail } from '../accounts/tokens.js';
import type { AppContext } from '../context.js';
import { nowIso } from '../db/util.js';
import { insertOrg, type OrgRow } from '../orgs/store.js';
import type { TestServer } from './server.js';

export const TEST_PASSWORD = 'correct horse battery';
let passwordHash: Promise<string> | null = null;

/** A short unique token for names and emails, so tests never collide. */
export function uniq(): string {
  return randomBytes(4).toString('hex');
}

export interface OrgFactoryInput {
  name?: string;
  plan?: Plan;
  domain?: string;
  policy?: Partial<OrgPolicy>;
}

export async function makeOrg(ctx: AppContext, input: OrgFactoryInput = {}): Promise<OrgRow & { domain: string }> {
  const u = uniq();
  const domain = input.domain ?? `org-${u}.example`;
  const org = await insertOrg(ctx.db, { name: input.name ?? `Org ${u}`, plan: input.plan ?? 'paid', policy: input.policy });
  await ctx.db.insertInto('org_domains').values({ domain, org_id: org.id, verified: 1, created_at: nowIso() }).execute();
  return { ...org, domain };
}

export interface UserFactoryInput {
  org?: OrgRow & { domain?: string };
  email?: string;
  displayName?: string;
  role?: 'admin' | 'member';
  /** Make a fresh `basic` org of one person (what sign-up does). */
  plan?: Plan;
}

export interface TestUser {
  user: UserWithOrg;
  org: OrgRow;
  email: string;
  token: string;
  api: ParleyClient;
}

/** A verified, active, signed-in user with the password TEST_PASSWORD. */
export async function makeUser(t: TestServer, input: UserFactoryInput = {}): Promise<TestUser> {
  const ctx = t.ctx;
  const u = uniq();
  const org = input.org ?? (await makeOrg(ctx, { plan: input.plan ?? 'basic', name: `Solo ${u}` }));
  const domain = (org as { domain?: string }).domain ?? `mail-${u}.example`;
  const email = input.email ?? `user-${u}@${domain}`;
  passwordHash ??= hashPassword(TEST_PASSWORD);
  const row = await insertUser(ctx.db, {
    orgId: org.id,
    email,
    emailNorm: normalizeEmail(email),
    displayName: input.displayName ?? `User ${u}`,
    passwordHash: await passwordHash,
    role: input.role ?? 'member',
    verified: true,
  });
  const { token } = await doCreateSession(ctx.db, row.id);
  const user = (await getUserWithOrg(ctx.db, row.id))!;
  return { user, org, email, token, api: t.client(token) };
}
