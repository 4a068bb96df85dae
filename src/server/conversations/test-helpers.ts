import { expect } from 'vitest';
import type { ServerEvent } from '../../shared/events.js';
import { api } from '../../shared/api/index.js';
import { ApiError } from '../../shared/client.js';
import { makeOrg, makeUser, type TestUser } from '../testing/factories.js';
import type { TestServer } from '../testing/server.js';

/** Two colleagues of one org with a direct chat between them. */
export async function directPair(t: TestServer): Promise<{ a: TestUser; b: TestUser; conversationId: string }> {
  const org = await makeOrg(t.ctx, { plan: 'paid' });
  const a = await makeUser(t, { org });
  const b = await makeUser(t, { org });
  const conv = await a.api.call(api.conversations.startDirect, { body: { email: b.email } });
  return { a, b, conversationId: conv.id };
}

/** Awaits a call that must fail, and checks its status, code and (optionally) reason. */
export async function expectApiError(p: Promise<unknown>, status: number, code: string, reason?: string): Promise<ApiError> {
  let caught: unknown = null;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${status} ${code}`).toBeInstanceOf(ApiError);
  const e = caught as ApiError;
  expect({ status: e.status, code: e.code }).toEqual({ status, code });
  if (reason !== undefined) expect(e.reason).toBe(reason);
  return e;
}

export interface Recorded {
  userIds: readonly string[];
  event: ServerEvent;
}

/** Records what the node publishes on its event bus until `stop()`. */
export function recordEvents(t: TestServer): { events: Recorded[]; stop: () => void; to: (userId: string) => ServerEvent[] } {
  const events: Recorded[] = [];
  const stop = t.ctx.events.subscribe((userIds, event) => events.push({ userIds: [...userIds], event }));
  return { events, stop, to: (userId) => events.filter((e) => e.userIds.includes(userId)).map((e) => e.event) };
}

let counter = 0;
/** A fresh clientId. */
export function cid(): string {
  return `c-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}
