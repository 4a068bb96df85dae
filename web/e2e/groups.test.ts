import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api/index.js';
import { makeOrg, makeUser, uniq } from '../../src/server/testing/factories.js';
import { browserAvailable, shot, startE2E, type E2E } from './harness.js';
import { gradientPng } from './png.js';

const run = browserAvailable() ? describe : describe.skip;

/** Where keyboard focus is: inside an open dialog, and drawn visibly. */
async function focusState(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    const style = el ? getComputedStyle(el) : null;
    return {
      inDialog: !!el?.closest('[role=dialog]'),
      label: el?.getAttribute('aria-label') ?? el?.textContent?.trim() ?? '',
      visible: !!style && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
    };
  });
}

/** Pressing a key and saving a screenshot when what should follow does not. */
async function orShot<T>(pages: [Page, string][], step: Promise<T>): Promise<T> {
  return step.catch(async (err: unknown) => {
    for (const [p, name] of pages) await shot(p, 'groups', `failure-${name}`);
    throw err;
  });
}

run('web: group chats, the files panel and unblocking in the browser', () => {
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

  it('three colleagues: create a group, see it live, rename, share a file, remove a member, leave', async () => {
    // An org without any admin: group chats need none.
    const org = await makeOrg(e.t.ctx, { name: `Harbor ${uniq()}`, plan: 'basic' });
    const ann = await makeUser(e.t, { org, displayName: 'Ann Archer' });
    const bob = await makeUser(e.t, { org, displayName: 'Bob Baker' });
    const cyd = await makeUser(e.t, { org, displayName: 'Cyd Carter' });
    // Someone of another org is never offered for a group.
    const out = await makeUser(e.t, { displayName: 'Olga Outside' });

    const a = await e.signedIn(ann.token);
    const b = await e.signedIn(bob.token);
    const c = await e.signedIn(cyd.token, { phone: true });
    await b.getByText('No chats yet.').waitFor();
    await c.getByText('No chats yet.').waitFor();

    // Ann: New group → title → pick Bob with the mouse and Cyd with the keyboard (Enter).
    await a.getByRole('button', { name: 'New group' }).first().click();
    const dialog = a.getByRole('dialog', { name: 'New group' });
    await expect(focusState(a)).resolves.toMatchObject({ inDialog: true });
    // Creating without a title or anyone is refused in words, before any call.
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await dialog.getByText('Give the group a title.').waitFor();
    await dialog.getByLabel('Group title').fill('Launch team');
    const search = dialog.getByLabel('Add colleagues');
    await search.fill(out.email);
    await dialog.getByText('Group chats are for people of your own organization.').waitFor();
    await search.fill('Bob');
    await dialog.getByRole('button', { name: /Bob Baker/ }).click();
    await dialog.getByRole('button', { name: /Bob Baker/ }).and(a.locator('[aria-pressed=true]')).waitFor();
    await search.fill('Cyd');
    await dialog.getByRole('button', { name: /Cyd Carter/ }).waitFor();
    await search.press('Enter');
    await dialog.getByRole('list', { name: 'Chosen colleagues' }).getByText('Cyd Carter').waitFor();
    await expect(search.inputValue()).resolves.toBe('');
    // Tab stays inside the dialog, with a visible focus ring on every stop.
    for (let i = 0; i < 12; i++) {
      await a.keyboard.press('Tab');
      const f = await focusState(a);
      expect(f.inDialog, `Tab ${i + 1} left the dialog (at ${f.label})`).toBe(true);
      expect(f.visible, `no visible focus on ${f.label}`).toBe(true);
    }
    await shot(a, 'groups', '01-new-group-dialog');
    await dialog.getByRole('button', { name: 'Create group of 3' }).click();
    await a.waitForURL(/\/chat\/[^/]+$/);
    const groupId = decodeURIComponent(new URL(a.url()).pathname.split('/').pop()!);
    await a.getByRole('heading', { name: 'Launch team' }).waitFor();
    await expect(a.getByTestId('member-count').textContent()).resolves.toBe('3 members');

    // Bob and Cyd see it appear without reloading.
    const bItem = b.locator('[data-testid=chat-item]', { hasText: 'Launch team' });
    const cItem = c.locator('[data-testid=chat-item]', { hasText: 'Launch team' });
    await orShot([[b, 'bob-list']], bItem.waitFor());
    await cItem.waitFor();
    await a.getByRole('textbox', { name: 'Message' }).fill('Kickoff at 10');
    await a.getByRole('textbox', { name: 'Message' }).press('Enter');
    await bItem.click();
    // The group opens with the note of its creation, above the first message.
    await b.getByTestId('system-note').filter({ hasText: 'Ann Archer created the group “Launch team” with Bob Baker and Cyd Carter' }).waitFor();
    await b.locator('[data-testid=message]', { hasText: 'Kickoff at 10' }).waitFor();
    await expect(b.locator('[data-testid=message]', { hasText: 'Kickoff at 10' }).locator('.msg-sender').textContent()).resolves.toBe('Ann Archer');
    await cItem.click();
    await c.locator('[data-testid=message]', { hasText: 'Kickoff at 10' }).waitFor();
    await shot(b, 'groups', '02-bob-in-group');
    await shot(c, 'groups', '03-cyd-phone-group');

    // Bob renames it from the member panel, by keyboard; everyone sees the new title live.
    await b.getByRole('button', { name: 'Members', exact: true }).click();
    const bPanel = b.getByTestId('members-panel');
    await bPanel.waitFor();
    await expect(bPanel.getByTestId('member').count()).resolves.toBe(3);
    await expect(bPanel.getByTestId('member').first().textContent()).resolves.toContain('Bob Baker');
    await bPanel.getByRole('button', { name: 'Rename' }).focus();
    await b.keyboard.press('Enter');
    const rename = b.getByRole('dialog', { name: 'Rename group' });
    await expect(rename.getByLabel('Group title').evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await rename.getByLabel('Group title').fill('Launch crew');
    await b.keyboard.press('Enter');
    await rename.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened the dialog, though its field had focused itself.
    await expect(bPanel.getByRole('button', { name: 'Rename' }).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await a.getByRole('heading', { name: 'Launch crew' }).waitFor();
    await c.getByRole('heading', { name: 'Launch crew' }).waitFor();
    // Every timeline notes the change, as a quiet line of its own with no actions.
    const renamed = a.getByTestId('system-note').filter({ hasText: 'Bob Baker renamed the group to “Launch crew”' });
    await orShot([[a, 'rename-note']], renamed.waitFor());
    await c.getByTestId('system-note').filter({ hasText: 'Bob Baker renamed the group to “Launch crew”' }).waitFor();
    await expect(renamed.getByRole('button').count()).resolves.toBe(0);
    await bob.api.call(api.messages.send, { params: { id: groupId }, body: { clientId: `c-${uniq()}`, body: 'Renamed it' } });
    await a.locator('[data-testid=message]', { hasText: 'Renamed it' }).waitFor();
    await b.locator('[data-testid=chat-item]', { hasText: 'Launch crew' }).waitFor();
    await shot(b, 'groups', '04-members-panel');
    // Escape closes the panel and gives focus back.
    await bPanel.getByRole('heading', { name: 'Members' }).focus();
    await b.keyboard.press('Escape');
    await bPanel.waitFor({ state: 'detached' });

    // Files: Ann shares an image and a text file; the Files panel lists them with who and when.
    await a.getByTestId('file-input').setInputFiles([
      { name: 'plan.png', mimeType: 'image/png', buffer: gradientPng(120, 80) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('agenda\n'.repeat(100)) },
    ]);
    await a.locator('.attachments li.done').nth(1).waitFor();
    await a.getByRole('textbox', { name: 'Message' }).fill('Files for the launch');
    await a.getByRole('textbox', { name: 'Message' }).press('Enter');
    await b.locator('[data-testid=message]', { hasText: 'Files for the launch' }).waitFor();
    await b.getByRole('button', { name: 'Files', exact: true }).click();
    const files = b.getByTestId('files-panel');
    await files.getByTestId('file-row').nth(1).waitFor();
    const png = files.getByTestId('file-row').filter({ hasText: 'plan.png' });
    await expect(png.textContent()).resolves.toContain('Ann Archer');
    await expect(png.getByRole('link', { name: 'plan.png', exact: true }).getAttribute('href')).resolves.toMatch(/^\/api\/v1\/files\/[^?]+$/);
    const thumb = png.locator('img.file-thumb');
    await expect(thumb.getAttribute('src')).resolves.toMatch(/\?inline=1$/);
    await b.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 120, await thumb.elementHandle());
    const txt = files.getByTestId('file-row').filter({ hasText: 'notes.txt' });
    await expect(txt.locator('img').count()).resolves.toBe(0);
    await expect(txt.textContent()).resolves.toMatch(/700 B · Ann Archer · \S/);
    await shot(b, 'groups', '05-files-panel');
    // On a phone the panel covers the chat, and Close brings the chat back.
    await c.getByRole('button', { name: 'Files', exact: true }).click();
    await c.getByTestId('files-panel').getByTestId('file-row').nth(1).waitFor();
    await shot(c, 'groups', '06-files-panel-phone');
    await c.getByRole('button', { name: 'Close files' }).click();
    await c.getByTestId('files-panel').waitFor({ state: 'detached' });
    await expect(c.getByRole('textbox', { name: 'Message' }).isVisible()).resolves.toBe(true);

    // Ann removes Cyd: Cyd's open chat closes with a notice and leaves the list; access is gone.
    await a.getByRole('button', { name: 'Members', exact: true }).click();
    const aPanel = a.getByTestId('members-panel');
    await aPanel.getByRole('button', { name: 'Remove Cyd Carter' }).click();
    await a.getByRole('dialog', { name: 'Remove Cyd Carter?' }).getByRole('button', { name: 'Remove' }).click();
    await orShot([[c, 'cyd-removed']], c.getByTestId('gone-chat').getByText('You were removed from').waitFor());
    await expect(c.getByTestId('gone-chat').textContent()).resolves.toContain('Launch crew');
    // Cyd's notice and Ann's own view update independently: wait for Ann's to settle, then count.
    await a.getByTestId('member-count').filter({ hasText: /^2 members$/ }).waitFor();
    await expect(aPanel.getByTestId('member').count()).resolves.toBe(2);
    await b.getByTestId('system-note').filter({ hasText: 'Ann Archer removed Cyd Carter' }).waitFor();
    await shot(c, 'groups', '07-cyd-removed-phone');
    await c.getByRole('link', { name: 'Back to chats' }).click();
    await c.getByText('No chats yet.').waitFor();
    const refused = await cyd.api.call(api.conversations.get, { params: { id: groupId } }).then(
      () => null,
      (err: { status?: number }) => err,
    );
    expect(refused?.status).toBe(404);

    // Ann adds Cyd back with Add people: the group reappears in Cyd's list, live.
    await aPanel.getByRole('button', { name: 'Add people' }).click();
    const adding = a.getByRole('dialog', { name: 'Add people' });
    await adding.getByLabel('Add colleagues').fill('Bob');
    await adding.getByText('Already in this group.').waitFor();
    await adding.getByLabel('Add colleagues').fill('Cyd');
    await adding.getByRole('button', { name: /Cyd Carter/ }).click();
    await shot(a, 'groups', '08-add-people');
    await adding.getByRole('button', { name: 'Add', exact: true }).click();
    await adding.waitFor({ state: 'detached' });
    await expect(a.getByTestId('member-count').textContent()).resolves.toBe('3 members');
    await c.locator('[data-testid=chat-item]', { hasText: 'Launch crew' }).waitFor();

    // Bob leaves: back to his list, the group is gone there, and Ann is its one member.
    await b.getByRole('button', { name: 'Members', exact: true }).click();
    await b.getByTestId('members-panel').getByRole('button', { name: 'Leave group' }).click();
    await b.getByRole('dialog', { name: 'Leave this group?' }).getByRole('button', { name: 'Leave' }).click();
    await b.waitForURL(/\/chat$/);
    await b.locator('[data-testid=chat-item]', { hasText: 'Launch crew' }).waitFor({ state: 'detached' });
    await expect(a.getByTestId('member-count').textContent()).resolves.toBe('2 members');
    await a.getByTestId('system-note').filter({ hasText: 'Bob Baker left the group' }).waitFor();
    // What Bob wrote keeps his name after he left.
    await expect(a.locator('[data-testid=message]', { hasText: 'Renamed it' }).locator('.msg-sender').textContent()).resolves.toBe('Bob Baker');
    await shot(a, 'groups', '09-after-leave');
    await b.goto(`/chat/${groupId}`);
    await b.getByTestId('gone-chat').getByText('no longer one of its members').waitFor();

    // The member panel on a phone.
    const ap = await e.signedIn(ann.token, { phone: true, path: `/chat/${groupId}` });
    await ap.getByRole('button', { name: 'Members', exact: true }).click();
    await ap.getByTestId('members-panel').getByTestId('member').nth(1).waitFor();
    await shot(ap, 'groups', '10-members-panel-phone');
  });

  it('a blocked request is unblocked from its banner and can then be accepted; a declined one too', async () => {
    const partner = await makeOrg(e.t.ctx, { name: `Partner ${uniq()}`, plan: 'paid', policy: { externalMessaging: true } });
    const paula = await makeUser(e.t, { org: partner, displayName: 'Paula Price' });
    const sam = await makeUser(e.t, { displayName: 'Sam Sender' });
    const dan = await makeUser(e.t, { displayName: 'Dan Decline' });
    const conv = await sam.api.call(api.conversations.startDirect, { body: { email: paula.email } });
    await sam.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `c-${uniq()}`, body: 'Hello Paula' } });
    const dconv = await dan.api.call(api.conversations.startDirect, { body: { email: paula.email } });
    await dan.api.call(api.messages.send, { params: { id: dconv.id }, body: { clientId: `c-${uniq()}`, body: 'Hi from Dan' } });

    const p = await e.signedIn(paula.token, { path: `/chat/${conv.id}` });
    const request = p.getByRole('region', { name: 'Message request' });
    await request.getByRole('button', { name: 'Block' }).click();
    await p.getByRole('dialog', { name: /Block/ }).getByRole('button', { name: 'Block' }).click();
    await p.waitForURL(/\/chat$/);
    const item = p.locator('[data-testid=chat-item]', { hasText: 'Sam Sender' });
    await item.locator('.badge-blocked').waitFor();
    await item.click();
    const blocked = p.getByTestId('blocked-banner');
    await blocked.getByText('You blocked Sam Sender.').waitFor();
    await expect(p.getByRole('textbox', { name: 'Message' }).isDisabled()).resolves.toBe(true);
    await shot(p, 'groups', '11-blocked-banner');
    await blocked.getByRole('button', { name: 'Unblock' }).click();
    // Unblocking restores the request, which she can now accept.
    await request.waitFor();
    await item.locator('.badge-request').waitFor();
    await shot(p, 'groups', '12-unblocked-request');
    await request.getByRole('button', { name: 'Accept' }).click();
    await request.waitFor({ state: 'detached' });
    await p.getByRole('textbox', { name: 'Message' }).fill('Welcome, Sam');
    await p.getByRole('textbox', { name: 'Message' }).press('Enter');
    await p.locator('[data-testid=message]', { hasText: 'Welcome, Sam' }).waitFor();
    const seen = await sam.api.call(api.messages.list, { params: { id: conv.id }, query: { after: 0, limit: 10 } });
    expect(seen.items.map((m) => m.body)).toContain('Welcome, Sam');

    // Declined: the recipient can still accept later.
    await p.locator('[data-testid=chat-item]', { hasText: 'Dan Decline' }).click();
    await request.getByRole('button', { name: 'Decline' }).click();
    await p.waitForURL(/\/chat$/);
    await p.locator('[data-testid=chat-item]', { hasText: 'Dan Decline' }).click();
    const declined = p.getByTestId('declined-banner');
    await declined.waitFor();
    await shot(p, 'groups', '13-declined-banner');
    await declined.getByRole('button', { name: 'Accept' }).click();
    await declined.waitFor({ state: 'detached' });
    await expect(p.getByRole('textbox', { name: 'Message' }).isEnabled()).resolves.toBe(true);
    const after = await dan.api.call(api.conversations.get, { params: { id: dconv.id } });
    expect(after.state).toBe('live');
  });

  it('a long title with no spaces wraps inside the chat pane, in its creation note and its header', async () => {
    const org = await makeOrg(e.t.ctx, { name: `Wide ${uniq()}`, plan: 'basic' });
    const wes = await makeUser(e.t, { org, displayName: 'Wes Wide' });
    const val = await makeUser(e.t, { org, displayName: 'Val Wide' });
    const title = `Q${'W'.repeat(99)}`;
    const group = await wes.api.call(api.conversations.create, { body: { title, memberIds: [val.user.id] } });
    for (const phone of [false, true]) {
      const page = await e.signedIn(wes.token, { phone, path: `/chat/${group.id}` });
      const note = page.getByTestId('system-note').filter({ hasText: 'created the group' });
      await note.waitFor();
      const g = await page.evaluate(() => {
        const box = (el: Element | null) => el!.getBoundingClientRect();
        const pane = box(document.querySelector('.chat-pane'));
        return {
          pane: { left: pane.left, right: pane.right },
          note: box(document.querySelector('[data-testid=system-note] .system-text')),
          heading: box(document.querySelector('.chat-head h2')),
          messagesOverflow: document.querySelector('.messages')!.scrollWidth - document.querySelector('.messages')!.clientWidth,
          headOverflow: document.querySelector('.chat-head')!.scrollWidth - document.querySelector('.chat-head')!.clientWidth,
        };
      });
      const where = phone ? 'phone' : 'desktop';
      expect(g.note.left, where).toBeGreaterThanOrEqual(g.pane.left);
      expect(g.note.right, where).toBeLessThanOrEqual(g.pane.right);
      expect(g.heading.left, where).toBeGreaterThanOrEqual(g.pane.left);
      expect(g.heading.right, where).toBeLessThanOrEqual(g.pane.right);
      expect(g.messagesOverflow, where).toBeLessThanOrEqual(0);
      expect(g.headOverflow, where).toBeLessThanOrEqual(0);
      await shot(page, 'groups', phone ? '15-long-title-phone' : '14-long-title');
    }
  });
});
