import type { Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  afterEach(async () => {
    await e?.closeContexts();
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

  it('the admin of a personal org is told nobody can be added to it, with no form the server would refuse', async () => {
    const solo = await makeUser(e.t, { plan: 'basic', role: 'admin', displayName: 'Sol Solo' });
    const page = await e.signedIn(solo.token, { path: '/admin/users' });
    await page.getByTestId('personal-org').waitFor();
    await expect(page.getByTestId('personal-org').textContent()).resolves.toContain('nobody can be added');
    await expect(page.getByRole('button', { name: 'Add', exact: true }).count()).resolves.toBe(0);
    // The list still shows its one person.
    await page.getByTestId('user-row').filter({ hasText: 'Sol Solo' }).waitFor();
  });

  it('a person whose chat would be refused says why on the result; a refusal at start shows beside the results', async () => {
    // A paid org has external messaging off by default.
    const closed = await makeOrg(e.t.ctx, { name: `Closed ${uniq()}`, plan: 'paid' });
    const pam = await makeUser(e.t, { org: closed, displayName: 'Pam Paid' });
    const oli = await makeUser(e.t, { displayName: 'Oli Outside' });
    const page = await e.signedIn(pam.token, { path: '/today' });
    const box = page.getByRole('combobox', { name: 'Search people or type an email' });
    const results = page.getByRole('listbox', { name: 'Search results' });
    await box.fill(oli.email);
    const option = results.getByRole('option', { name: /Oli Outside/ });
    await option.waitFor();
    await option.locator('.res-refusal').waitFor();
    await expect(option.locator('.res-refusal').textContent()).resolves.toMatch(/\w.*\./);
    await expect(option.getAttribute('aria-disabled')).resolves.toBe('true');
    await shot(page, 'search', '03-refused-person');
    // Enter does not start what would be refused: no chat opens, the reason stays in view.
    await box.press('Enter');
    // force: a click on an option marked aria-disabled is still something a person can do.
    await option.click({ force: true });
    await page.waitForTimeout(300);
    expect(new URL(page.url()).pathname).toBe('/today');
    await expect(option.locator('.res-refusal').isVisible()).resolves.toBe(true);

    // The result said yes, but the org switched external messaging off meanwhile: the
    // server's refusal is shown with the results still there.
    const open = await makeOrg(e.t.ctx, { name: `Open ${uniq()}`, plan: 'paid', policy: { externalMessaging: true } });
    const boss = await makeUser(e.t, { org: open, role: 'admin', displayName: 'Ola Admin' });
    const ria = await makeUser(e.t, { org: open, displayName: 'Ria Ready' });
    const p2 = await e.signedIn(ria.token, { path: '/today' });
    const box2 = p2.getByRole('combobox', { name: 'Search people or type an email' });
    const results2 = p2.getByRole('listbox', { name: 'Search results' });
    await box2.fill(oli.email);
    const ok = results2.getByRole('option', { name: /Oli Outside/ });
    await ok.waitFor();
    await expect(ok.locator('.res-refusal').count()).resolves.toBe(0);
    await boss.api.call(api.external.patchSettings, { params: { id: open.id }, body: { externalMessaging: false } });
    await box2.press('Enter');
    const alert = results2.getByRole('alert');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(/\w.*\./);
    await expect(ok.isVisible()).resolves.toBe(true);
    expect(new URL(p2.url()).pathname).toBe('/today');
    await shot(p2, 'search', '04-refused-at-start');
  });

  it('a long org name in the External badge leaves the person’s name readable', async () => {
    const longName = `Consolidated ${'Intercontinental '.repeat(6)}Holdings ${uniq()}`;
    const far = await makeOrg(e.t.ctx, { name: longName, plan: 'basic' });
    const rory = await makeUser(e.t, { org: far, displayName: 'Rory Farland' });
    const me = await makeUser(e.t, { displayName: 'Sid Searcher' });
    for (const phone of [false, true]) {
      const page = await e.signedIn(me.token, { path: '/today', phone });
      const box = page.getByRole('combobox', { name: 'Search people or type an email' });
      await box.fill(rory.email);
      const option = page.getByRole('listbox', { name: 'Search results' }).getByRole('option', { name: /Rory Farland/ });
      await option.waitFor();
      const g = await option.evaluate((li) => {
        const r = (sel: string) => li.querySelector(sel)!.getBoundingClientRect();
        const badge = li.querySelector<HTMLElement>('.badge-external')!;
        return { li: li.getBoundingClientRect().width, main: r('.res-main'), badge: r('.badge-external'), title: badge.title };
      });
      // The name keeps its room and is not covered; the badge gives way and shows all on hover.
      expect(g.main.width, phone ? 'phone' : 'desktop').toBeGreaterThan(90);
      expect(g.main.right).toBeLessThanOrEqual(g.badge.left + 1);
      expect(g.badge.width).toBeLessThanOrEqual(g.li * 0.45 + 1);
      expect(g.title).toBe(`External · ${longName}`);
      await shot(page, 'search', phone ? '06-long-org-phone' : '05-long-org');
    }
  });

  it('dialogs give focus back to the button that opened them', async () => {
    const me = await makeUser(e.t, { displayName: 'Fay Focus' });
    const page = await e.signedIn(me.token, { path: '/today' });
    const opener = page.getByRole('banner').getByRole('button', { name: 'New chat' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'New chat' });
    await expect(dialog.getByLabel('Email address').evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(opener.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
  });

  it('the users list keeps the rows shown, updates them in place and keeps focus on the table', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Paged ${uniq()}`, plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Ada Admin' });
    for (const n of ['Bo', 'Cy', 'Di', 'Ed', 'Fe']) await makeUser(e.t, { org, displayName: `${n} Person` });
    const page = await e.signedIn(boss.token, { path: '/today' });
    // Pages of two, so "Show more" is needed for the rest.
    await page.route(/\/api\/v1\/orgs\/[^/]+\/users(\?|$)/, (route) => {
      const url = new URL(route.request().url());
      if (route.request().method() === 'GET' && !url.searchParams.has('limit')) url.searchParams.set('limit', '2');
      return route.continue({ url: url.toString() });
    });
    await page.goto('/admin/users');
    const rows = page.getByTestId('user-row');
    await rows.nth(1).waitFor();
    for (const count of [4, 6]) {
      await page.getByRole('button', { name: 'Show more' }).click();
      await rows.nth(count - 1).waitFor();
    }
    await expect(rows.count()).resolves.toBe(6);
    const lastName = (await rows.nth(5).locator('td').first().textContent())!;
    const last = rows.filter({ hasText: lastName });

    // Deactivate a row of the last page: it changes where it is, nothing else goes away, and
    // focus moves to its Reactivate button (the Deactivate button is gone).
    await last.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog', { name: `Deactivate ${lastName}?` }).getByRole('button', { name: 'Deactivate' }).click();
    await last.getByText('deactivated').waitFor();
    await expect(rows.count()).resolves.toBe(6);
    await page.waitForFunction(() => document.activeElement?.textContent === 'Reactivate');
    await expect(last.getByRole('button', { name: 'Reactivate' }).evaluate((el) => el === document.activeElement)).resolves.toBe(true);

    // Reactivate (no dialog), then delete a row in the middle: focus goes to the next row.
    await last.getByRole('button', { name: 'Reactivate' }).click();
    await last.getByText('active', { exact: true }).waitFor();
    await expect(last.getByRole('button', { name: 'Deactivate' }).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    const middleName = (await rows.nth(3).locator('td').first().textContent())!;
    const after = (await rows.nth(4).locator('td').first().textContent())!;
    await rows.nth(3).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: `Delete ${middleName}?` }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText(`${middleName} was deleted.`).waitFor();
    await expect(rows.count()).resolves.toBe(5);
    const focused = await page.evaluate(() => ({ tag: document.activeElement?.tagName, row: document.activeElement?.closest('tr')?.querySelector('td')?.textContent }));
    expect(focused).toEqual({ tag: 'BUTTON', row: after });

    // Adding keeps the rows shown; a later error replaces the old notice instead of sitting by it.
    const newEmail = `gia-${uniq()}@${org.domain}`;
    await page.getByLabel('Email', { exact: true }).fill(newEmail);
    await page.getByLabel('Name', { exact: true }).fill('Gia Green');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByText('Gia Green was added.').waitFor();
    await expect(rows.count()).resolves.toBe(6);
    await rows.filter({ hasText: lastName }).waitFor();
    await page.getByLabel('Email', { exact: true }).fill(newEmail);
    await page.getByLabel('Name', { exact: true }).fill('Gia Again');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('alert').waitFor();
    await expect(page.getByText('Gia Green was added.').count()).resolves.toBe(0);
  });

  it('a slow answer to an earlier filter does not replace a newer one (users and audit log)', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Racing ${uniq()}`, plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Ava Admin' });
    const zelda = await makeUser(e.t, { org, displayName: 'Zelda Quick' });
    await makeUser(e.t, { org, displayName: 'Zed Quick' });
    const xena = await makeUser(e.t, { org, displayName: 'Xena Gone' });
    await boss.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: zelda.user.id } });
    await boss.api.call(api.orgs.deleteUser, { params: { id: org.id, uid: xena.user.id } });
    const page = await e.signedIn(boss.token, { path: '/today' });
    // The first filter's answer is held back until after the second's has arrived.
    const slow = (param: string, value: string) => async (route: Route) => {
      if (new URL(route.request().url()).searchParams.get(param) === value) await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    };
    await page.route(/\/api\/v1\/orgs\/[^/]+\/users(\?|$)/, slow('q', 'Z'));
    await page.route(/\/api\/v1\/orgs\/[^/]+\/audit\?/, slow('action', 'user.deactivated'));

    await page.goto('/admin/users');
    const rows = page.getByTestId('user-row');
    await rows.first().waitFor();
    const filter = page.getByLabel('Find people');
    await filter.fill('Z');
    await page.waitForTimeout(500);
    await filter.fill('Zelda');
    await rows.filter({ hasText: 'Ava Admin' }).waitFor({ state: 'detached' });
    await page.waitForTimeout(1800);
    await expect(rows.allTextContents()).resolves.toEqual([expect.stringContaining('Zelda Quick')]);

    await page.getByRole('link', { name: 'Audit log' }).click();
    const audit = page.getByTestId('audit-row');
    await audit.first().waitFor();
    await page.getByLabel('Action').fill('user.deactivated');
    await page.waitForTimeout(600);
    await page.getByLabel('Action').fill('user.deleted');
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll('[data-testid=audit-row]')];
      return r.length > 0 && r.every((x) => x.textContent?.includes('user.deleted'));
    });
    await page.waitForTimeout(1500);
    const actions = await audit.locator('code').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(new Set(actions)).toEqual(new Set(['user.deleted']));
  });

  it('on a phone the audit log shows its Action column, and the users table’s buttons can be reached', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Narrow ${uniq()}`, plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Nat Admin' });
    const long = `Unbroken${'x'.repeat(82)}`;
    const wide = await makeUser(e.t, { org, displayName: long });
    await makeUser(e.t, { org, displayName: 'Kim Short' });
    await boss.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: wide.user.id } });
    await boss.api.call(api.orgs.reactivateUser, { params: { id: org.id, uid: wide.user.id } });

    const phone = await e.signedIn(boss.token, { phone: true, path: '/admin/audit' });
    const header = phone.getByRole('columnheader', { name: 'Action' });
    await phone.getByTestId('audit-row').first().waitFor();
    await expect(header.isVisible()).resolves.toBe(true);
    await expect(phone.getByTestId('audit-row').first().locator('code').isVisible()).resolves.toBe(true);
    await shot(phone, 'admin', '06-audit-phone');

    for (const page of [await e.signedIn(boss.token, { phone: true, path: '/admin/users' }), await e.signedIn(boss.token, { path: '/admin/users' })]) {
      const rows = page.getByTestId('user-row');
      await rows.filter({ hasText: long }).waitFor();
      const width = page.viewportSize()!.width;
      // A row wider than the screen scrolls in the table's own box; the page never goes sideways.
      const pageOverflow = await page.evaluate(() => {
        const c = document.querySelector('.content')!;
        return c.scrollWidth - c.clientWidth;
      });
      expect(pageOverflow, `the page scrolls sideways at ${width}px`).toBeLessThanOrEqual(0);
      const buttons = page.getByTestId('user-row').getByRole('button');
      const n = await buttons.count();
      expect(n).toBeGreaterThanOrEqual(4);
      for (let i = 0; i < n; i++) {
        const b = buttons.nth(i);
        await b.scrollIntoViewIfNeeded();
        // Whole, inside the window, and the button itself is what a tap at its centre hits;
        // reached by scrolling only what a person can scroll (not a box that hides overflow).
        const seen = await b.evaluate((el) => {
          const r = el.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          let hiddenScroll = false;
          for (let a = el.parentElement; a; a = a.parentElement) {
            const o = getComputedStyle(a).overflowX;
            if ((o === 'hidden' || o === 'clip') && a.scrollLeft !== 0) hiddenScroll = true;
          }
          return { left: r.left, right: r.right, hit: !!hit && el.contains(hit), hiddenScroll };
        });
        expect(seen.hiddenScroll, `button ${i} at ${width}px is only reachable by a script`).toBe(false);
        expect(seen.left, `button ${i} at ${width}px`).toBeGreaterThanOrEqual(0);
        expect(seen.right, `button ${i} at ${width}px`).toBeLessThanOrEqual(width);
        expect(seen.hit, `button ${i} at ${width}px is covered or cut off`).toBe(true);
      }
      // On a phone the users table drops its Email column (and only that one).
      if (width < 700) await expect(page.getByRole('columnheader', { name: 'Email' }).isVisible()).resolves.toBe(false);
      await shot(page, 'admin', `07-users-${width}`);
    }
  });

  it('audit dates are the browser’s local days', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Zoned ${uniq()}`, plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Tz Admin' });
    const tom = await makeUser(e.t, { org, displayName: 'Tom Zone' });
    await boss.api.call(api.orgs.deactivateUser, { params: { id: org.id, uid: tom.user.id } });
    // Far east and far west of UTC: at any hour, one of them is on another calendar day than UTC.
    for (const timezoneId of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const day = (offsetDays: number) => new Intl.DateTimeFormat('en-CA', { timeZone: timezoneId }).format(new Date(Date.now() + offsetDays * 86_400_000));
      const page = await e.signedIn(boss.token, { timezoneId, path: '/admin/audit' });
      const rows = page.getByTestId('audit-row');
      await rows.first().waitFor();
      await page.getByLabel('From').fill(day(0));
      await page.getByLabel('To').fill(day(0));
      await page.waitForTimeout(400);
      await rows.filter({ hasText: 'user.deactivated' }).waitFor();
      await page.getByLabel('From').fill(day(-1));
      await page.getByLabel('To').fill(day(-1));
      await page.getByText('No entries match.').waitFor();
      // The wrong way round is said in the form's words, before asking the server.
      await page.getByLabel('From').fill(day(0));
      await page.getByRole('alert').filter({ hasText: '“From” must be on or before “To”.' }).waitFor();
    }
  });

  it('the settings form keeps what is typed in Largest file and checks it on save; an unknown admin tab goes to settings', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Sizes ${uniq()}`, plan: 'paid' });
    const boss = await makeUser(e.t, { org, role: 'admin', displayName: 'Sia Admin' });
    const page = await e.signedIn(boss.token, { path: '/admin/nothing-here' });
    await page.waitForURL(/\/admin$/);
    await expect(page.getByRole('link', { name: 'External messaging' }).getAttribute('aria-current')).resolves.toBe('page');
    const field = page.getByLabel('Largest file (MiB)');
    await field.waitFor();
    const max = Number(await field.getAttribute('max'));
    expect(max).toBeGreaterThan(50);
    await field.fill('');
    await expect(field.inputValue()).resolves.toBe('');
    await field.pressSequentially('50');
    await expect(field.inputValue()).resolves.toBe('50');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const saved = await boss.api.call(api.external.getSettings, { params: { id: org.id } });
    expect(saved.policy.maxFileBytes).toBe(50 * 1024 * 1024);

    // Past the deployment's limit, or empty: refused in the page, naming the field.
    await field.fill(String(max + 1));
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(`Largest file (MiB): at most ${max} MiB on this server.`);
    await field.fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'Largest file (MiB): enter a whole number' }).waitFor();
    const still = await boss.api.call(api.external.getSettings, { params: { id: org.id } });
    expect(still.policy.maxFileBytes).toBe(50 * 1024 * 1024);
  });
});
