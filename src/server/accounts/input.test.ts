import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { describeEachDb } from '../testing/each-db.js';
import { uniq } from '../testing/factories.js';
import { refusal, requestFrom, signUpAndVerify } from './test-helpers.js';

const json = { 'content-type': 'application/json' };

describeEachDb('accounts: bad input', (t) => {
  const post = (path: string, body: string | Buffer | undefined, headers: Record<string, string> = json) => requestFrom(t().url, { path, body, headers });
  const good = () => ({ email: `ok-${uniq()}@mail-${uniq()}.example`, password: 'a fine password', displayName: 'Fine Name' });

  /** The server still answers normally after each bad request. */
  async function stillServing() {
    const res = await fetch(`${t().url}/healthz`);
    expect(res.status).toBe(200);
    const r = await t().anon().call(api.auth.passwordReset, { body: { email: `alive-${uniq()}@nowhere.example` } });
    expect(r).toEqual({ ok: true });
  }

  async function expectError(p: Promise<{ status: number; json: () => unknown }>, status: number, code: string) {
    const r = await p;
    expect(r.status).toBe(status);
    expect((r.json() as { error: { code: string } }).error.code).toBe(code);
    await stillServing();
  }

  it('malformed JSON → 400 invalid_json', async () => {
    await expectError(post('/api/v1/auth/signup', '{"email": "a@b.example", '), 400, 'invalid_json');
    await expectError(post('/api/v1/auth/login', '{'), 400, 'invalid_json');
    await expectError(post('/api/v1/auth/verify', 'not json at all'), 400, 'invalid_json');
  });

  it('wrong types, a non-object body and a missing body → 400 invalid_request', async () => {
    await expectError(post('/api/v1/auth/signup', JSON.stringify({ email: 42, password: true, displayName: ['x'] })), 400, 'invalid_request');
    await expectError(post('/api/v1/auth/login', JSON.stringify(['a@b.example', 'pw'])), 400, 'invalid_request');
    await expectError(post('/api/v1/auth/login', 'null'), 400, 'invalid_request');
    await expectError(post('/api/v1/auth/verify', JSON.stringify({ token: 123 })), 400, 'invalid_request');
    await expectError(post('/api/v1/auth/verify', undefined, {}), 400, 'invalid_request');
    const err = await refusal(t().anon().call(api.auth.signup, { body: { ...good(), password: 12345678 as unknown as string } }));
    expect([err.status, err.code]).toEqual([400, 'invalid_request']);
    expect(err.body.error.issues?.map((i) => i.path)).toEqual(['body.password']);
  });

  it('unknown fields → 400 invalid_request', async () => {
    const err = await refusal(t().anon().call(api.auth.signup, { body: { ...good(), role: 'admin' } as ReturnType<typeof good> }));
    expect([err.status, err.code]).toEqual([400, 'invalid_request']);
    await expectError(post('/api/v1/auth/login', JSON.stringify({ email: 'a@b.example', password: 'pw', remember: true })), 400, 'invalid_request');
  });

  it('over-long email, display name and password → 400 invalid_request', async () => {
    const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`;
    expect(longEmail.length).toBeGreaterThan(254);
    for (const body of [
      { ...good(), email: longEmail },
      { ...good(), displayName: 'n'.repeat(101) },
      { ...good(), password: 'p'.repeat(257) },
      { ...good(), password: 'short' },
      { ...good(), displayName: '   ' },
    ]) {
      const err = await refusal(t().anon().call(api.auth.signup, { body }));
      expect([err.status, err.code]).toEqual([400, 'invalid_request']);
    }
    const login = await refusal(t().anon().call(api.auth.login, { body: { email: 'a@b.example', password: 'p'.repeat(257) } }));
    expect([login.status, login.code]).toEqual([400, 'invalid_request']);
    const token = await refusal(t().anon().call(api.auth.verify, { body: { token: 't'.repeat(201) } }));
    expect([token.status, token.code]).toEqual([400, 'invalid_request']);
    // The limits themselves are accepted.
    expect((await t().anon().call(api.auth.signup, { body: { ...good(), displayName: 'n'.repeat(100), password: 'p'.repeat(256) } })).ok).toBe(true);
    await stillServing();
  });

  it('an email that is not an email → 400 invalid_request', async () => {
    for (const email of ['not-an-email', 'a@', '@b.example', 'a b@c.example', '', 'a@b@c.example']) {
      const err = await refusal(t().anon().call(api.auth.signup, { body: { ...good(), email } }));
      expect([err.status, err.code]).toEqual([400, 'invalid_request']);
    }
    expect((await refusal(t().anon().call(api.auth.passwordReset, { body: { email: 'nope' } }))).code).toBe('invalid_request');
    await stillServing();
  });

  it('a display name with control characters → 400 invalid_request', async () => {
    // C1 controls, and direction overrides that would make one name read as another's.
    for (const displayName of ['Ann\nEvil', 'Ann\u0000', 'Tab\there', 'Del\u007f', 'Ann\u0085', 'Ann \u202eyrrab', 'Ann\u2066x\u2069', 'Two\u2028lines', 'Two\u2029paragraphs']) {
      const err = await refusal(t().anon().call(api.auth.signup, { body: { ...good(), displayName } }));
      expect([err.status, err.code]).toEqual([400, 'invalid_request']);
    }
    // Names nobody could see: zero-width, fillers, blank braille, soft hyphen, combining marks alone.
    for (const displayName of ['\u200B', '\u3164', '\u2800', '\u00AD', '\u034F', '\u0301\u0301', '\uFFFC']) {
      const err = await refusal(t().anon().call(api.auth.signup, { body: { ...good(), displayName } }));
      expect([err.status, err.code, err.message]).toEqual([400, 'invalid_request', expect.stringMatching(/visible/)]);
    }
    // Names in any script, with accents and emoji, are fine.
    for (const displayName of ['Zoë Ångström', 'יעל כהן', '李小龍', 'Ana 🚀', 'יעל\u200f 2']) {
      expect((await t().anon().call(api.auth.signup, { body: { ...good(), displayName } })).ok).toBe(true);
    }
    await stillServing();
  });

  it('a body over 1 MiB → 413 payload_too_large', async () => {
    const huge = JSON.stringify({ ...good(), displayName: 'x'.repeat(1024 * 1024 + 10) });
    await expectError(post('/api/v1/auth/signup', huge), 413, 'payload_too_large');
  });

  it('a missing or non-JSON content type → 415 unsupported_media_type', async () => {
    const body = JSON.stringify(good());
    await expectError(post('/api/v1/auth/signup', body, {}), 415, 'unsupported_media_type');
    await expectError(post('/api/v1/auth/signup', body, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    await expectError(post('/api/v1/auth/login', 'email=a%40b.example&password=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    await expectError(post('/api/v1/auth/signup', body, { 'content-type': 'application/xml' }), 415, 'unsupported_media_type');
    // JSON with a charset parameter is JSON.
    expect((await post('/api/v1/auth/signup', JSON.stringify(good()), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('a duplicate sign-up of a verified user → 409 email_taken', async () => {
    const { email } = await signUpAndVerify(t());
    await expectError(post('/api/v1/auth/signup', JSON.stringify({ ...good(), email })), 409, 'email_taken');
  });

  it('protected endpoints without a session or with a bad token → 401 unauthenticated', async () => {
    for (const token of ['nonsense', 'x'.repeat(500)]) {
      const err = await refusal(t().client(token).call(api.auth.me));
      expect([err.status, err.code]).toEqual([401, 'unauthenticated']);
    }
    const res = await fetch(`${t().url}/api/v1/me`, { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
    expect((await refusal(t().anon().call(api.auth.logout))).code).toBe('unauthenticated');
    await stillServing();
  });
});
