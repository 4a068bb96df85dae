import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api/index.js';
import { linkIn } from '../../src/server/testing/smtp-sink.js';
import { makeUser, TEST_PASSWORD, uniq } from '../../src/server/testing/factories.js';
import { browserAvailable, shot, startE2E, type E2E } from './harness.js';

const run = browserAvailable() ? describe : describe.skip;

run('web: accounts in the browser', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E();
  });
  afterAll(async () => {
    await e?.close();
  });
  afterEach(async () => {
    await e?.closeContexts();
  });

  it('signs up, verifies by the emailed link, signs in and out', async () => {
    const ctx = await e.context();
    const page = await ctx.newPage();
    const email = `new-${uniq()}@fresh-${uniq()}.example`;
    await page.goto('/');
    await page.waitForURL(/\/login/);
    // The page names its icon, and the server has it (no 404 in every page's console).
    const icon = await page.locator('link[rel=icon]').getAttribute('href');
    const iconRes = await page.request.get(icon!);
    expect([iconRes.status(), iconRes.headers()['content-type']]).toEqual([200, expect.stringContaining('image/svg+xml')]);
    await shot(page, 'auth', '01-login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill('Nora Newman');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await shot(page, 'auth', '02-signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const mail = await e.t.smtp.waitFor(email);
    const link = new URL(linkIn(mail));
    expect(link.pathname).toBe('/verify');
    await page.goto(link.pathname + link.search);
    await page.getByRole('heading', { name: 'You’re in — sign in' }).waitFor();
    await shot(page, 'auth', '03-verified');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/login\?verified=1/);

    // A wrong password is refused in plain words.
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/do not match|password/i);

    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/today/);
    await page.getByRole('heading', { name: 'Today' }).waitFor();
    await expect(page.getByText('Hello Nora Newman').isVisible()).resolves.toBe(true);
    await shot(page, 'auth', '04-today');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    // The session is gone: a signed-in page sends us back to sign in.
    await page.goto('/chat');
    await page.waitForURL(/\/login\?next=%2Fchat/);
  });

  it('an address signed up for twice: the verified link asks for the password instead of keeping either', async () => {
    const email = `twice-${uniq()}@fresh-${uniq()}.example`;
    await e.t.anon().call(api.auth.signup, { body: { email, password: 'owner password 1', displayName: 'Olga Owner' } });
    await e.t.smtp.waitFor(email);
    const before = e.t.smtp.mails.length;
    await e.t.anon().call(api.auth.signup, { body: { email, password: 'someone else 2', displayName: 'Olga Owner' } });
    await expect.poll(() => e.t.smtp.mails.length).toBeGreaterThan(before);
    const link = new URL(linkIn(e.t.smtp.mails[e.t.smtp.mails.length - 1]!));
    const page = await (await e.context()).newPage();
    await page.goto(link.pathname + link.search);
    await page.getByRole('heading', { name: 'Set your password' }).waitFor();
    await expect(page.getByText('used to sign up more than once').isVisible()).resolves.toBe(true);
    await shot(page, 'auth', '06-contested-signup');
    await page.getByLabel('New password').fill('chosen by the owner 3');
    await page.getByLabel('Repeat it').fill('chosen by the owner 3');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(/\/login\?reset=1/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('chosen by the owner 3');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/today/);
    await expect(e.t.anon().call(api.auth.login, { body: { email, password: 'someone else 2' } })).rejects.toMatchObject({ status: 401 });
  });

  it('an invalid verification link says so', async () => {
    const page = await (await e.context()).newPage();
    await page.goto('/verify?token=nonsense');
    await page.getByRole('heading', { name: 'We could not verify this link' }).waitFor();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/invalid|expired/i);
  });

  it('resets a forgotten password by the emailed link', async () => {
    const u = await makeUser(e.t, { displayName: 'Rita Reset' });
    const page = await (await e.context()).newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(u.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText('we sent it a link').waitFor();
    const link = new URL(linkIn(await e.t.smtp.waitFor(u.email)));
    expect(link.pathname).toBe('/reset-password');
    await page.goto(link.pathname + link.search);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await page.getByLabel('New password').fill('a brand new secret');
    await page.getByLabel('Repeat it').fill('a brand new secret');
    await shot(page, 'auth', '05-reset');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL(/\/login\?reset=1/);
    await page.getByLabel('Email').fill(u.email);
    await page.getByLabel('Password').fill('a brand new secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/today/);
  });
});
