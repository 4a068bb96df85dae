import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api/index.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../../src/server/testing/factories.js';
import { linkIn } from '../../src/server/testing/smtp-sink.js';
import { browserAvailable, shot, startE2E, type E2E } from './harness.js';

const run = browserAvailable() ? describe : describe.skip;

function pathOf(link: string): string {
  const u = new URL(link);
  return u.pathname + u.search;
}

run('web: cross-organization rules in the browser', () => {
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

  it('invites someone not on Parley: Pending, then they sign up by the emailed link and both chat', async () => {
    const acme = await makeOrg(e.t.ctx, { name: 'Acme Invites', plan: 'basic' });
    const ann = await makeUser(e.t, { org: acme, displayName: 'Ann Archer' });
    const zoe = `zoe-${uniq()}@newco-${uniq()}.example`;

    const a = await e.signedIn(ann.token);
    await a.getByRole('button', { name: 'New chat' }).first().click();
    const dialog = a.getByRole('dialog', { name: 'New chat' });
    await dialog.getByLabel('Email address').fill(zoe);
    await dialog.getByText('is not on Parley yet').waitFor();
    await shot(a, 'invite', '01-not-on-parley');
    await dialog.getByRole('button', { name: 'Invite' }).click();
    await a.waitForURL(/\/chat\/[^/]+$/);
    await a.locator('.chat-head .badge-pending', { hasText: 'Invited · not on Parley yet' }).waitFor();
    await a.getByText('is not on Parley yet. Your messages will be delivered when they join.').waitFor();
    await a.getByRole('textbox', { name: 'Message' }).fill('Welcome Zoe, here is the plan');
    await a.getByRole('textbox', { name: 'Message' }).press('Enter');
    await a.locator('[data-testid=message]', { hasText: 'Welcome Zoe' }).waitFor();
    await shot(a, 'invite', '02-pending-chat');

    // Zoe follows the invitation, signs up, verifies, signs in: the chat is there with the message.
    const invite = await e.t.smtp.waitFor(zoe);
    const z = await (await e.context()).newPage();
    await z.goto(pathOf(linkIn(invite)));
    await expect(z.getByLabel('Work email').inputValue()).resolves.toBe(zoe);
    await z.getByLabel('Your name').fill('Zoe Zimmer');
    await z.getByLabel('Password').fill(TEST_PASSWORD);
    await z.getByRole('button', { name: 'Create account' }).click();
    await z.getByRole('heading', { name: 'Check your email' }).waitFor();
    const verify = await e.t.smtp.waitFor(zoe, (m) => /\/verify\?token=/.test(m.text));
    await z.goto(pathOf(linkIn(verify)));
    await z.getByRole('heading', { name: 'You’re in — sign in' }).waitFor();
    await z.getByRole('button', { name: 'Sign in' }).click();
    await z.getByLabel('Email').fill(zoe);
    await z.getByLabel('Password').fill(TEST_PASSWORD);
    await z.getByRole('button', { name: 'Sign in' }).click();
    await z.waitForURL(/\/today/);
    await z.getByRole('link', { name: /^Chat/ }).click();
    const item = z.locator('[data-testid=chat-item]', { hasText: 'Ann Archer' });
    await item.waitFor();
    await item.click();
    await z.locator('[data-testid=message]', { hasText: 'Welcome Zoe' }).waitFor();
    await z.getByRole('textbox', { name: 'Message' }).fill('Thanks Ann!');
    await z.getByRole('textbox', { name: 'Message' }).press('Enter');
    await shot(z, 'invite', '03-zoe-joined');

    // Ann's open chat turns live without a reload and gets the answer.
    await a.locator('[data-testid=message]', { hasText: 'Thanks Ann!' }).waitFor();
    await a.locator('.chat-head .badge-pending').waitFor({ state: 'detached' });
    await a.getByRole('heading', { name: 'Zoe Zimmer' }).waitFor();
    await shot(a, 'invite', '04-ann-sees-zoe');
  });

  it('a message request is accepted; a blocked sender is refused', async () => {
    const partner = await makeOrg(e.t.ctx, { name: 'Paid Partner', plan: 'paid', policy: { externalMessaging: true } });
    const paula = await makeUser(e.t, { org: partner, displayName: 'Paula Price' });
    const sam = await makeUser(e.t, { displayName: 'Sam Sender' });
    const sid = await makeUser(e.t, { displayName: 'Sid Spammer' });

    const s = await e.signedIn(sam.token);
    const p = await e.signedIn(paula.token);
    await s.getByRole('button', { name: 'New chat' }).first().click();
    await s.getByRole('dialog', { name: 'New chat' }).getByLabel('Email address').fill(paula.email);
    await s.getByRole('dialog', { name: 'New chat' }).getByText('Paula Price').waitFor();
    await s.getByRole('dialog', { name: 'New chat' }).getByRole('button', { name: 'Start communicating' }).click();
    await s.waitForURL(/\/chat\/[^/]+$/);
    await s.getByRole('textbox', { name: 'Message' }).fill('Hello Paula, may we talk?');
    await s.getByRole('textbox', { name: 'Message' }).press('Enter');
    await s.locator('[data-testid=message]', { hasText: 'may we talk' }).waitFor();

    // Paula: a Request appears live; opening it shows the banner and no composer.
    const item = p.locator('[data-testid=chat-item]', { hasText: 'Sam Sender' });
    await item.locator('.badge-request', { hasText: 'Request' }).waitFor();
    await item.click();
    const banner = p.getByRole('region', { name: 'Message request' });
    await banner.waitFor();
    await expect(p.getByRole('textbox', { name: 'Message' }).isDisabled()).resolves.toBe(true);
    await shot(p, 'request', '01-request-banner');
    await banner.getByRole('button', { name: 'Accept' }).click();
    await banner.waitFor({ state: 'detached' });
    await p.getByRole('textbox', { name: 'Message' }).fill('Sure, welcome!');
    await p.getByRole('textbox', { name: 'Message' }).press('Enter');
    await s.locator('[data-testid=message]', { hasText: 'Sure, welcome!' }).waitFor();
    await shot(s, 'request', '02-sender-sees-answer');

    // Sid's request is blocked: his chat closes and starting again is refused in plain words.
    const sidChat = await sid.api.call(api.conversations.startDirect, { body: { email: paula.email } });
    await sid.api.call(api.messages.send, { params: { id: sidChat.id }, body: { clientId: `c-${uniq()}`, body: 'Buy now!!!' } });
    const d = await e.signedIn(sid.token, { path: `/chat/${sidChat.id}` });
    await d.locator('[data-testid=message]', { hasText: 'Buy now' }).waitFor();
    const sidItem = p.locator('[data-testid=chat-item]', { hasText: 'Sid Spammer' });
    await sidItem.click();
    await p.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Block' }).click();
    await p.getByRole('dialog', { name: /Block/ }).getByRole('button', { name: 'Block' }).click();
    await p.waitForURL(/\/chat$/);
    // Paula's view of Sid's chat is blocked and read-only.
    await sidItem.locator('.badge-blocked').waitFor();

    // Sid tries again from New chat: refused with the reason.
    await d.getByRole('button', { name: 'New chat' }).first().click();
    const dd = d.getByRole('dialog', { name: 'New chat' });
    await dd.getByLabel('Email address').fill(paula.email);
    await dd.getByText('Paula Price').waitFor();
    await dd.getByText('This person is not accepting messages from you.').waitFor();
    await expect(dd.getByRole('button', { name: 'Start communicating' }).isDisabled()).resolves.toBe(true);
    await shot(d, 'request', '03-blocked-refused');
    // The server refuses it too, with the reason code the dialog keys its words on.
    const refused = await sid.api.call(api.conversations.startDirect, { body: { email: paula.email } }).then(
      () => null,
      (err: { reason?: string }) => err,
    );
    expect(refused?.reason).toBe('blocked');
    // Nor can he write in the old chat: it turned read-only live.
    await d.keyboard.press('Escape');
    await d.getByTestId('readonly-banner').waitFor();
    await expect(d.getByRole('textbox', { name: 'Message' }).isDisabled()).resolves.toBe(true);
  });

  it('an admin switches external messaging off and the open chat turns read-only with the reason', async () => {
    const corp = await makeOrg(e.t.ctx, { name: 'Corp Admin', plan: 'basic' });
    const ada = await makeUser(e.t, { org: corp, role: 'admin', displayName: 'Ada Admin' });
    const otto = await makeUser(e.t, { displayName: 'Otto Outside' });
    const conv = await otto.api.call(api.conversations.startDirect, { body: { email: ada.email } });
    await otto.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `c-${uniq()}`, body: 'Before the switch' } });

    const o = await e.signedIn(otto.token, { path: `/chat/${conv.id}` });
    await o.locator('[data-testid=message]', { hasText: 'Before the switch' }).waitFor();
    await expect(o.getByRole('textbox', { name: 'Message' }).isEnabled()).resolves.toBe(true);

    const admin = await e.signedIn(ada.token, { path: '/admin' });
    await admin.getByRole('heading', { name: 'Corp Admin' }).waitFor();
    const toggle = admin.getByRole('checkbox', { name: /External messaging/ });
    await expect(toggle.isChecked()).resolves.toBe(true);
    await shot(admin, 'admin', '01-policy');
    await toggle.uncheck();
    await admin.getByRole('button', { name: 'Save settings' }).click();
    await admin.getByText('Saved.').waitFor();

    // Otto's open chat turns read-only live, history still there, with the reason in words.
    const banner = o.getByTestId('readonly-banner');
    await banner.waitFor();
    const text = (await banner.textContent()) ?? '';
    expect(text).toMatch(/Read-only\./);
    expect(text.replace('Read-only.', '').trim().length).toBeGreaterThan(10);
    await expect(o.getByRole('textbox', { name: 'Message' }).isDisabled()).resolves.toBe(true);
    await o.locator('[data-testid=message]', { hasText: 'Before the switch' }).waitFor();
    await shot(o, 'admin', '02-readonly-chat');

    // Switching it back on reopens the chat.
    await toggle.check();
    await admin.getByRole('button', { name: 'Save settings' }).click();
    await banner.waitFor({ state: 'detached' });
    await expect(o.getByRole('textbox', { name: 'Message' }).isEnabled()).resolves.toBe(true);
  });
});
