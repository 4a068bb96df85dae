import http from 'node:http';
import { expect } from 'vitest';
import { api } from '../../shared/api/index.js';
import { ApiError } from '../../shared/client.js';
import { linkIn } from '../testing/smtp-sink.js';
import type { TestServer } from '../testing/server.js';
import { uniq } from '../testing/factories.js';

export const PASSWORD = 'a long enough password';

/** The mails received so far: pass to `tokenFromMail` to wait for a newer one only. */
export function mailsSoFar(t: TestServer): Set<unknown> {
  return new Set(t.smtp.mails);
}

/**
 * The `token` query parameter of the link in a mail to `email` whose subject matches: the first
 * such mail not in `seen` (by default, the first one ever received).
 */
export async function tokenFromMail(t: TestServer, email: string, subject: RegExp, seen: Set<unknown> = new Set()): Promise<{ token: string; link: string; text: string }> {
  const mail = await t.smtp.waitFor(email, (m) => subject.test(m.subject) && !seen.has(m));
  const link = linkIn(mail);
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return { token, link, text: mail.text };
}

/** Signs up through the API and verifies through the link of the mail the SMTP sink received. */
export async function signUpAndVerify(t: TestServer, input: { email?: string; displayName?: string; password?: string } = {}) {
  const email = input.email ?? `person-${uniq()}@mail-${uniq()}.example`;
  const password = input.password ?? PASSWORD;
  const seen = mailsSoFar(t);
  await t.anon().call(api.auth.signup, { body: { email, password, displayName: input.displayName ?? 'Pat Example' } });
  const { token } = await tokenFromMail(t, email, /confirm/i, seen);
  const { user } = await t.anon().call(api.auth.verify, { body: { token } });
  return { email, password, user };
}

/** Awaits a refused call and returns its ApiError (failing when the call succeeded). */
export async function refusal(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  expect.fail('the call succeeded but a refusal was expected');
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => unknown;
}

/**
 * A request from a chosen loopback source address (127.0.0.x), so that throttling by address
 * can be tested without the test suite's other requests sharing the counter.
 */
export function requestFrom(
  baseUrl: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string },
): Promise<RawAnswer> {
  const url = new URL(opts.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: opts.method ?? 'POST', headers: opts.headers, localAddress: opts.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** POST JSON from a source address; answers status, headers and parsed body. */
export async function loginFrom(baseUrl: string, localAddress: string, email: string, password: string) {
  const r = await requestFrom(baseUrl, {
    path: '/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
    localAddress,
  });
  return { status: r.status, headers: r.headers, body: r.json() as { error?: { code: string; retryAfter?: number }; token?: string } };
}
