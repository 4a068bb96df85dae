import { expect } from 'vitest';
import { api } from '../../shared/api/index.js';
import { ERROR_CODES } from '../../shared/errors.js';
import { doCreateSession } from '../accounts/sessions.js';
import { makeOrg, makeUser, uniq, type TestUser } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';

/** Test-only helpers of the security suites: raw HTTP, the error contract, a small world. */

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface RawInit {
  token?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

/** One request with fetch, answered as text plus parsed JSON (undefined when not JSON). */
export async function raw(t: TestServer, method: string, path: string, init: RawInit = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${t.url}${path}`, { method, headers, body: init.body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Codes the server answers besides the shared list of src/shared/errors.ts: domain conflicts and
 * the few protocol answers (416, 426). A new code has to be added here on purpose, which is the
 * point: clients switch on codes, so they must not appear by accident.
 */
export const DOMAIN_CODES = [
  'last_admin',
  'user_deleted',
  'not_a_request',
  'message_deleted',
  'domain_taken',
  'not_a_group',
  'invalid_state',
  'conversation_not_live',
  'range_not_satisfiable',
  'upgrade_required',
  'invalid_member',
  'request_timeout',
] as const;

const KNOWN_CODES = new Set<string>([...ERROR_CODES, ...DOMAIN_CODES]);

/** Asserts an answer is a contract error: a 4xx with `{error:{code,message}}` and a known code. */
export function expectContractError(res: RawResponse, label: string): string {
  expect(res.status, `${label}: status ${res.status} ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${label}: status ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  const body = res.json as { error?: { code?: unknown; message?: unknown } } | undefined;
  expect(typeof body?.error?.code, `${label}: body ${res.text.slice(0, 300)}`).toBe('string');
  expect(typeof body?.error?.message, `${label}: body ${res.text.slice(0, 300)}`).toBe('string');
  const code = body!.error!.code as string;
  expect(KNOWN_CODES.has(code), `${label}: unknown error code ${code}`).toBe(true);
  return code;
}

/** Asserts that no 5xx came back and, for any error, that it follows the contract. */
export function expectNoServerError(res: RawResponse, label: string): void {
  expect(res.status, `${label}: status ${res.status} ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) expectContractError(res, label);
}

/** Asserts that none of `secrets` (names, emails, titles, bodies) appears in an answer. */
export function expectNoLeak(res: RawResponse | string, secrets: readonly string[], label: string): void {
  const text = typeof res === 'string' ? res : res.text;
  for (const s of secrets) expect(text.toLowerCase().includes(s.toLowerCase()), `${label} leaks "${s}": ${text.slice(0, 300)}`).toBe(false);
}

export async function expectHealthy(t: TestServer): Promise<void> {
  const res = await fetch(`${t.url}/healthz`);
  expect(res.status).toBe(200);
}

/** Another session of the same user (a fresh token), for suites that log sessions out. */
export async function newToken(t: TestServer, user: TestUser): Promise<string> {
  return (await doCreateSession(t.ctx.db, user.user.id)).token;
}

/** Uploads bytes into a conversation and answers the file id. */
export async function uploadFile(t: TestServer, user: TestUser, conversationId: string, name: string, data: string | Buffer): Promise<string> {
  const qs = new URLSearchParams({ conversationId, name });
  const res = await fetch(`${t.url}/api/v1/files?${qs.toString()}`, {
    method: 'POST',
    headers: { ...user.api.headers(), 'content-type': 'application/octet-stream' },
    body: new Uint8Array(Buffer.from(data)),
  });
  const json = (await res.json()) as { id?: string };
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json.id!;
}

let counter = 0;
export function cid(): string {
  return `sec-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/**
 * An org with an admin and two members, a group chat of all three with a message and a file,
 * and a direct chat between the members: everything a stranger must not see. `secrets` lists
 * the words that must never appear in an answer to someone of another org.
 */
export async function makeOrgWorld(t: TestServer) {
  const u = uniq();
  const org = await makeOrg(t.ctx, { plan: 'paid', name: `Hidden Org ${u}` });
  const admin = await makeUser(t, { org, role: 'admin', displayName: `Admin Secret${u}` });
  const alice = await makeUser(t, { org, displayName: `Alice Secret${u}` });
  const bob = await makeUser(t, { org, displayName: `Bob Secret${u}` });
  const title = `Project Secret${u}`;
  const group = await alice.api.call(api.conversations.create, { body: { title, memberIds: [admin.user.id, bob.user.id] } });
  const fileName = `plans-secret${u}.txt`;
  const fileId = await uploadFile(t, alice, group.id, fileName, `file body secret${u}`);
  const message = await alice.api.call(api.messages.send, {
    params: { id: group.id },
    body: { clientId: cid(), body: `message body secret${u}`, fileIds: [fileId] },
  });
  const direct = await alice.api.call(api.conversations.startDirect, { body: { email: bob.email } });
  const dm = await alice.api.call(api.messages.send, { params: { id: direct.id }, body: { clientId: cid(), body: `dm secret${u}` } });
  const secrets = [
    org.name,
    org.domain,
    admin.email,
    alice.email,
    bob.email,
    admin.user.display_name,
    alice.user.display_name,
    bob.user.display_name,
    title,
    fileName,
    `secret${u}`,
  ];
  return { org, admin, alice, bob, group, direct, message, dm, fileId, secrets };
}
export type OrgWorld = Awaited<ReturnType<typeof makeOrgWorld>>;
