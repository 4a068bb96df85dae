import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api/index.js';
import { makeOrg, makeUser, uniq } from '../../src/server/testing/factories.js';
import { linkIn } from '../../src/server/testing/smtp-sink.js';
import { browserAvailable, shot, startE2E, type E2E } from './harness.js';

const run = browserAvailable() ? describe : describe.skip;

run('web: Search and dial, Today and org admin pages', () => {
  let e: E2E;
  beforeAll(async () => {
    e = await startE2E();
  });
  afterAll(async () => {
    await e?.close();
  });

  it('finds a colleague by name and an external person only by full email; keyboard opens the chat', async () => {
    const name = `Quinn${uniq()}`;
    const home = await makeOrg(e.t.ctx, { name: 'Home Org', plan: 'basic' });
    const me = await makeUser(e.t, { org: home, displayName: 'Mia Me' });
    await makeUser(e.t, { org: home, displayName: `${name} Colleague` });
    const outsider = await makeUser(e.t, { displayName: `${name} Outsider` });

    const page = await e.signedIn(me.token, { path: '/today' });
    const box = page.getByRole('combobox', { name: 'Search people or type an email' });
    await box.click();
    await box.pressSequentially(name.slice(0, 8), { delay: 20 });
    const results = page.getByRole('listbox', { name: 'Search results' });
    await results.getByRole('option', { name: new RegExp(`${name} Colleague`) }).waitFor();
    await shot(page, 'search', '01-colleague-by-name');
    // The outsider's name finds nothing: outside the org only a full email does.
    await expect(results.getByRole('option', { name: /Outsider/ }).count()).resolves.toBe(0);
    await expect(results.getByRole('option').count()).resolves.toBe(1);

    // Escape clears; a full email finds the outsider, with the External badge.
    await box.press('Escape');
    await expect(box.inputValue()).resolves.toBe('');
    await box.fill(outsider.email);
    const ext = results.getByRole('option', { name: new RegExp(`${name} Outsider`) });
    await ext.waitFor();
    await expect(ext.locator('.badge-external').textContent()).resolves.toContain('External');
    await shot(page, 'search', '02-external-by-email');

    // Arrow down + Enter starts the chat and opens it.
    await box.press('ArrowDown');
    await expect(ext.getAttribute('aria-selected')).resolves.toBe('true');
    await box.press('Enter');
    await page.waitForURL(/\/chat\/[^/]+$/);
    await page.getByRole('heading', { name: `${name} Outsider` }).waitFor();

    // A full email of nobody offers an invitation.
    const nobody = `nobody-${uniq()}@nowhere-${uniq()}.example`;
    await box.fill(nobody);
    await results.getByRole('option', { name: /Not on Parley yet/ }).waitFor();
    await box.press('Enter');
    await page.getByRole('dialog', { name: 'New chat' }).getByText('is not on Parley yet').waitFor();
  });

  it('Today lists recent chats and requests; Message opens the chat with that person', async () => {
    const home = await makeOrg(e.t.ctx, { name: 'Today Org', plan: 'basic' });
    const tia = await makeUser(e.t, { org: home, displayName: 'Tia Today' });
    const uma = await makeUser(e.t, { displayName: 'Uma Upstream' });
    const conv = await uma.api.call(api.conversations.startDirect, { body: { email: tia.email } });
    await uma.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `c-${uniq()}`, body: 'Morning Tia' } });

    const page = await e.signedIn(tia.token, { path: '/today' });
    const entry = page.getByTestId('activity-item').filter({ hasText: 'Uma Upstream' }).first();
    await entry.waitFor();
    await expect(entry.textContent()).resolves.toContain('Morning Tia');
    await shot(page, 'today', '01-feed');
    await entry.getByRole('button', { name: 'Message Uma Upstream' }).click();
    await page.waitForURL(new RegExp(`/chat/${conv.id}$`));
    await page.locator('[data-testid=message]', { hasText: 'Morning Tia' }).waitFor();
  });

  it('an admin adds, deactivates, reactivates and deletes users, and filters the audit log', async () => {
    const org = await makeOrg(e.t.ctx, { name: 'Admin Org', plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Bea Boss' });
    const member = await makeUser(e.t, { org, displayName: 'Max Member' });
    const page = await e.signedIn(boss.token, { path: '/admin/users' });

    // Add a person: they get an invitation to set their password.
    const newEmail = `nia-${uniq()}@${org.domain}`;
    await page.getByLabel('Email', { exact: true }).fill(newEmail);
    await page.getByLabel('Name', { exact: true }).fill('Nia New');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Nia New was added.').waitFor();
    const invite = await e.t.smtp.waitFor(newEmail);
    const link = new URL(linkIn(invite));
    expect(link.pathname).toBe('/reset-password');
    expect(link.searchParams.get('invite')).toBe('1');

    const row = page.getByTestId('user-row').filter({ hasText: 'Max Member' });
    await row.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: 'Deactivate Max Member?' }).getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('deactivated').waitFor();
    await shot(page, 'admin', '03-users');
    await row.getByRole('button', { name: 'Reactivate' }).click();
    await row.getByText('active', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete Max Member?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Max Member was deleted.').waitFor();
    await row.waitFor({ state: 'detached' });
    await expect(member.api.call(api.auth.me).then(() => 'in', () => 'out')).resolves.toBe('out');

    // The invited person sets a password through the same page as a reset, titled for them.
    const p2 = await (await e.context()).newPage();
    await p2.goto(link.pathname + link.search);
    await p2.getByRole('heading', { name: 'Set your password' }).waitFor();
    await shot(p2, 'admin', '04-invite-set-password');

    // Audit log: everything above is there; the action filter narrows it.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(/\/admin\/audit$/);
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const all = await rows.count();
    expect(all).toBeGreaterThanOrEqual(4);
    const deactivated = rows.filter({ hasText: 'user.deactivated' });
    await expect(deactivated.count()).resolves.toBeGreaterThanOrEqual(1);
    await page.getByLabel('Action').fill('user.deactivated');
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('[data-testid=audit-row]')];
      return r.length > 0 && r.every((x) => x.textContent?.includes('user.deactivated'));
    });
    await shot(page, 'admin', '05-audit-filtered');
    // A date range in the future shows nothing.
    await page.getByLabel('From').fill('2999-01-01');
    await page.getByText('No entries match.').waitFor();
  });
});
