import { ApiError } from '../../shared/client.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';

/** Awaits a call that must be refused and answers its status and code. */
export async function refused(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** A paid org with one admin and one member, all of their own. */
export async function orgWithAdmin(t: TestServer, opts: { memberName?: string } = {}): Promise<{ org: Awaited<ReturnType<typeof makeOrg>>; admin: TestUser; member: TestUser }> {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const admin = await makeUser(t, { org, role: 'admin', displayName: 'Admin Person' });
  const member = await makeUser(t, { org, displayName: opts.memberName ?? 'Member Person' });
  return { org, admin, member };
}
