import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../src/shared/api/index.js';
import { gatewayOf } from '../../src/server/realtime/routes.js';
import { makeOrg, makeUser } from '../../src/server/testing/factories.js';
import { browserAvailable, shot, startE2E, type E2E } from './harness.js';
import { gradientPng } from './png.js';

const run = browserAvailable() ? describe : describe.skip;

/**
 * Two colleagues in a direct chat, the first signed in on it, then cut off from the server: no
 * socket, and the API requests `blocked` matches fail on the way (sent once the page knows it
 * is offline: a send on a socket still thought open waits for its answer before going over
 * HTTP). `reconnect()` lets everything through again.
 */
async function offlineChat(e: E2E, orgName: string, blocked: (url: string, method: string) => boolean) {
  const org = await makeOrg(e.t.ctx, { name: orgName, plan: 'basic' });
  const me = await makeUser(e.t, { org, displayName: `${orgName} Writer` });
  const peer = await makeUser(e.t, { org, displayName: `${orgName} Peer` });
  const conv = await me.api.call(api.conversations.startDirect, { body: { email: peer.email } });
  const page = await e.signedIn(me.token, { path: `/chat/${conv.id}` });
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  let offline = true;
  await page.routeWebSocket(/\/api\/v1\/events/, (ws) => {
    if (offline) ws.close();
    else ws.connectToServer();
  });
  await page.route(/\/api\/v1\//, (route) => (offline && blocked(route.request().url(), route.request().method()) ? route.abort('internetdisconnected') : route.continue()));
  // The page's socket may still be on its way to the gateway: cut it once it is there, so no
  // socket of the page reaches the server past the routes.
  await expect.poll(() => gatewayOf(e.t.ctx).disconnectUser(me.user.id), { timeout: 10_000 }).toBeGreaterThan(0);
  await page.getByText('Offline — reconnecting').waitFor();
  const bodiesAtPeer = async () => (await peer.api.call(api.messages.list, { params: { id: conv.id }, query: {} })).items.map((m) => m.body);
  return { page, box, bodiesAtPeer, reconnect: () => (offline = false) };
}

run('web: two organizations chat in the browser', () => {
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

  it('starts a chat by email from New chat; the other side sees it live; messages, links, typing, edits, read markers', async () => {
    const acme = await makeOrg(e.t.ctx, { name: 'Acme Tools', plan: 'basic' });
    const globex = await makeOrg(e.t.ctx, { name: 'Globex', plan: 'basic' });
    const ann = await makeUser(e.t, { org: acme, displayName: 'Ann Archer' });
    const bob = await makeUser(e.t, { org: globex, displayName: 'Bob Baker' });

    const a = await e.signedIn(ann.token);
    const b = await e.signedIn(bob.token);
    await b.getByRole('heading', { name: 'Chats' }).waitFor();
    await b.getByText('No chats yet.').waitFor();

    // Ann: New chat → type Bob's email → see who it is → Start communicating.
    await a.getByRole('button', { name: 'New chat' }).first().click();
    const dialog = a.getByRole('dialog', { name: 'New chat' });
    await dialog.getByLabel('Email address').fill(bob.email);
    await dialog.getByText('Bob Baker').waitFor();
    await dialog.getByText('Globex').waitFor();
    await dialog.locator('.badge-external').waitFor();
    await shot(a, 'chat', '01-new-chat-found');
    await dialog.getByRole('button', { name: 'Start communicating' }).click();
    await a.waitForURL(/\/chat\/[^/]+$/);
    await a.getByRole('heading', { name: 'Bob Baker' }).waitFor();
    await a.locator('.chat-head .badge-external', { hasText: 'External · Globex' }).waitFor();

    // With the WebSocket open, messages go out on it: no HTTP request per message.
    await a.locator('.conn').waitFor({ state: 'detached' });
    const posts: string[] = [];
    a.on('request', (r) => {
      if (r.method() === 'POST' && /^\/api\/v1\/conversations\/[^/]+\/messages$/.test(new URL(r.url()).pathname)) posts.push(r.url());
    });
    const composerA = a.getByRole('textbox', { name: 'Message' });
    await composerA.fill('Hello Bob, see https://example.com/spec. <b>not bold</b>');
    await composerA.press('Enter');
    await a.locator('[data-testid=message]', { hasText: 'Hello Bob' }).waitFor();

    // Bob: the chat appears without reloading, with an unread count and Ann's org.
    const item = b.locator('[data-testid=chat-item]', { hasText: 'Ann Archer' });
    await item.waitFor();
    await expect(item.locator('.count').textContent()).resolves.toBe('1');
    await expect(item.locator('.badge-external').textContent()).resolves.toBe('External · Acme Tools');
    await shot(b, 'chat', '02-bob-sees-new-chat');
    await item.click();
    const fromAnn = b.locator('[data-testid=message]', { hasText: 'Hello Bob' });
    await fromAnn.waitFor();
    // Text stays text; only the http(s) URL became a link, opened safely.
    await expect(fromAnn.locator('b').count()).resolves.toBe(0);
    await expect(fromAnn.textContent()).resolves.toContain('<b>not bold</b>');
    const link = fromAnn.getByRole('link', { name: 'https://example.com/spec' });
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    await expect(link.getAttribute('target')).resolves.toBe('_blank');
    // Reading it clears the unread count.
    await item.locator('.count').waitFor({ state: 'detached' });

    // Bob types: Ann sees it; then he answers.
    const composerB = b.getByRole('textbox', { name: 'Message' });
    await composerB.pressSequentially('Hi Ann', { delay: 30 });
    await a.getByText('Bob Baker is typing…').waitFor();
    await shot(a, 'chat', '03-typing');
    await composerB.press('Enter');
    await a.locator('[data-testid=message]', { hasText: 'Hi Ann' }).waitFor();
    await a.getByText('Bob Baker is typing…').waitFor({ state: 'detached' });

    // Ann edits her first message, then deletes it; Bob sees both live.
    const first = a.locator('[data-testid=message]', { hasText: 'Hello Bob' });
    await first.hover();
    await first.getByRole('button', { name: 'Edit message' }).click();
    await first.getByRole('textbox', { name: 'Edit message' }).fill('Hello Bob (edited)');
    await first.getByRole('textbox', { name: 'Edit message' }).press('Enter');
    await b.locator('[data-testid=message]', { hasText: 'Hello Bob (edited)' }).getByText('edited', { exact: false }).first().waitFor();
    const edited = a.locator('[data-testid=message]', { hasText: 'Hello Bob (edited)' });
    await edited.hover();
    await edited.getByRole('button', { name: 'Delete message' }).click();
    await a.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
    await b.locator('[data-testid=message]', { hasText: 'Message deleted' }).waitFor();
    await expect(b.locator('[data-testid=message]', { hasText: 'Hello Bob' }).count()).resolves.toBe(0);
    await shot(b, 'chat', '04-after-edit-delete');

    // Ann's "Seen" marker follows Bob's reading.
    await a.locator('[data-testid=message]', { hasText: 'Hi Ann' }).waitFor();
    await composerA.fill('Are you there?');
    await composerA.press('Enter');
    await a.locator('[data-testid=message]', { hasText: 'Are you there?' }).locator('.seen').waitFor();
    expect(posts).toEqual([]);
  });

  it('shares an image and a file across organizations, with upload progress, previews and downloads', async () => {
    const acme = await makeOrg(e.t.ctx, { name: 'Acme Files', plan: 'basic' });
    const globex = await makeOrg(e.t.ctx, { name: 'Globex Files', plan: 'basic' });
    const ann = await makeUser(e.t, { org: acme, displayName: 'Ann Archer' });
    const bob = await makeUser(e.t, { org: globex, displayName: 'Bob Baker' });
    const conv = await ann.api.call(api.conversations.startDirect, { body: { email: bob.email } });
    const a = await e.signedIn(ann.token, { path: `/chat/${conv.id}` });
    const b = await e.signedIn(bob.token, { path: `/chat/${conv.id}` });
    const composerA = a.getByRole('textbox', { name: 'Message' });
    await b.getByRole('heading', { name: 'Ann Archer' }).waitFor();

    await a.getByTestId('file-input').setInputFiles([
      { name: 'gradient.png', mimeType: 'image/png', buffer: gradientPng(240, 160) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('meeting notes\n'.repeat(200)) },
    ]);
    await a.locator('.attachments progress').first().waitFor();
    await a.locator('.attachments li.done').nth(1).waitFor().catch(async (err: unknown) => {
      await shot(a, 'files', 'failure-attachments');
      throw err;
    });
    await shot(a, 'files', '01-attachments-ready');
    await composerA.fill('Files for you');
    await composerA.press('Enter');
    const withFiles = b.locator('[data-testid=message]', { hasText: 'Files for you' });
    await withFiles.waitFor().catch(async (err: unknown) => {
      await shot(a, 'files', 'failure-sender');
      await shot(b, 'files', 'failure-receiver');
      throw err;
    });
    const img = withFiles.locator('img[alt="gradient.png"]');
    await img.waitFor();
    await expect(img.getAttribute('src')).resolves.toMatch(/^\/api\/v1\/files\/[^?]+\?inline=1$/);
    await b.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 240, await img.elementHandle());
    const download = withFiles.getByRole('link', { name: /notes\.txt/ });
    await expect(download.getAttribute('href')).resolves.toMatch(/^\/api\/v1\/files\/[^?]+$/);
    const body = await b.evaluate(async (href) => (await fetch(href!, { credentials: 'include' })).text(), await download.getAttribute('href'));
    expect(body).toBe('meeting notes\n'.repeat(200));
    await shot(b, 'files', '02-bob-gets-files');

  });

  it('shows an "image" whose bytes are none as a file to download, and a long org name ending in an ellipsis', async () => {
    const acme = await makeOrg(e.t.ctx, { name: 'Acme Badges', plan: 'basic' });
    const longName = `Globex ${'Intercontinental '.repeat(5)}Holdings`;
    const globex = await makeOrg(e.t.ctx, { name: longName, plan: 'basic' });
    const ann = await makeUser(e.t, { org: acme, displayName: 'Ann Badge' });
    const bob = await makeUser(e.t, { org: globex, displayName: 'Bob Badge' });
    const conv = await bob.api.call(api.conversations.startDirect, { body: { email: ann.email } });
    const b = await e.signedIn(bob.token, { path: `/chat/${conv.id}` });
    await b.getByTestId('file-input').setInputFiles([{ name: 'not-really.png', mimeType: 'image/png', buffer: Buffer.from('these bytes are text, not a picture') }]);
    await b.locator('.attachments li.done').waitFor();
    await b.getByRole('textbox', { name: 'Message' }).fill('a picture?');
    await b.getByRole('textbox', { name: 'Message' }).press('Enter');

    const a = await e.signedIn(ann.token, { path: `/chat/${conv.id}` });
    const msg = a.locator('[data-testid=message]', { hasText: 'a picture?' });
    const chip = msg.getByRole('link', { name: /not-really\.png/ });
    await chip.waitFor();
    await expect(chip.getAttribute('href')).resolves.toMatch(/^\/api\/v1\/files\/[^?]+$/);
    await expect(msg.locator('img').count()).resolves.toBe(0);

    // The badge fits its chat-list entry and says it is cut; its title gives the whole name.
    const item = a.locator('.chat-list li', { hasText: 'Bob Badge' });
    const badge = item.locator('.badge-external');
    await expect(badge.getAttribute('title')).resolves.toBe(`External · ${longName}`);
    const fit = await badge.evaluate((el) => {
      const li = el.closest('li')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return { inside: r.left >= li.left && r.right <= li.right + 0.5, cut: el.scrollWidth > el.clientWidth, ellipsis: getComputedStyle(el).textOverflow };
    });
    expect(fit).toEqual({ inside: true, cut: true, ellipsis: 'ellipsis' });
    await shot(a, 'files', '03-not-an-image-and-long-badge');
  });

  it('loads older history when scrolling up, keeping the order by seq', async () => {
    const org = await makeOrg(e.t.ctx, { name: 'History Org', plan: 'basic' });
    const hal = await makeUser(e.t, { org, displayName: 'Hal History' });
    const ivy = await makeUser(e.t, { org, displayName: 'Ivy Reader' });
    const conv = await hal.api.call(api.conversations.startDirect, { body: { email: ivy.email } });
    // Both write, each staying under the per-user send burst.
    for (let i = 1; i <= 130; i++) {
      await (i % 2 ? hal : ivy).api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `h-${i}`, body: `history line ${i}` } });
    }
    const page = await e.signedIn(ivy.token, { path: `/chat/${conv.id}` });
    await page.locator('[data-testid=message]', { hasText: 'history line 130' }).waitFor();
    await expect(page.locator('[data-testid=message]', { hasText: /^history line 1\b/ }).count()).resolves.toBe(0);
    // Scroll to the top until the first message is there.
    for (let i = 0; i < 10 && !(await page.getByText('This is the beginning of the chat.').isVisible()); i++) {
      await page.locator('.messages').evaluate((el) => el.scrollTo(0, 0));
      await page.waitForTimeout(200);
    }
    await page.getByText('This is the beginning of the chat.').waitFor();
    const seqs = await page.locator('[data-testid=message]').evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.seq)));
    expect(seqs).toEqual(Array.from({ length: 130 }, (_, i) => i + 1));
    await shot(page, 'chat', '05-history-top');
  });

  it('takes the writer to the bottom when they send while scrolled up; Today follows a chat read elsewhere', async () => {
    const org = await makeOrg(e.t.ctx, { name: 'Scroll Org', plan: 'basic' });
    const sol = await makeUser(e.t, { org, displayName: 'Sol Scroller' });
    const tia = await makeUser(e.t, { org, displayName: 'Tia Talker' });
    const conv = await sol.api.call(api.conversations.startDirect, { body: { email: tia.email } });
    for (let i = 1; i <= 60; i++) await tia.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `s-${i}`, body: `line ${i}` } });
    // Today in one tab shows the chat's unread count; reading it elsewhere clears it.
    const today = await e.signedIn(sol.token, { path: '/today' });
    await today.locator('.feed .count', { hasText: '60' }).waitFor();
    // Settled: the page's own chat list has loaded (which reloads the feed once).
    await today.waitForTimeout(1200);
    await sol.api.call(api.messages.read, { params: { id: conv.id }, body: { seq: 60 } });
    await expect.poll(() => today.locator('.feed .count').count(), { timeout: 5000 }).toBe(0);

    const page = await e.signedIn(sol.token, { path: `/chat/${conv.id}` });
    await page.locator('[data-testid=message]', { hasText: 'line 60' }).waitFor();
    await page.locator('.messages').evaluate((el) => el.scrollTo(0, 0));
    await page.waitForTimeout(300);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('sent from up there');
    await box.press('Enter');
    const mine = page.locator('[data-testid=message]', { hasText: 'sent from up there' });
    await mine.waitFor();
    await expect.poll(() => mine.evaluate((el) => {
      const r = el.getBoundingClientRect();
      const pane = el.closest('.messages')!.getBoundingClientRect();
      return r.bottom <= pane.bottom + 1 && r.top >= pane.top - 1;
    }), { timeout: 3000 }).toBe(true);
  });

  it('keeps what was typed and the files picked in a chat while others are open, and after a reload; sends indentation as written', async () => {
    const org = await makeOrg(e.t.ctx, { name: 'Draft Org', plan: 'basic' });
    const dora = await makeUser(e.t, { org, displayName: 'Dora Draft' });
    const finn = await makeUser(e.t, { org, displayName: 'Finn First' });
    const gus = await makeUser(e.t, { org, displayName: 'Gus Second' });
    const one = await dora.api.call(api.conversations.startDirect, { body: { email: finn.email } });
    await dora.api.call(api.conversations.startDirect, { body: { email: gus.email } });
    const page = await e.signedIn(dora.token, { path: `/chat/${one.id}` });
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('    half a thought\n  indented');
    // A file picked for this chat: it goes on uploading and stays while another chat is shown.
    await page.getByTestId('file-input').setInputFiles([{ name: 'agenda.txt', mimeType: 'text/plain', buffer: Buffer.from('1. drafts\n'.repeat(50)) }]);
    await page.getByRole('link', { name: /Gus Second/ }).first().click();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('');
    await expect(page.locator('.attachments li').count()).resolves.toBe(0);
    await page.getByRole('link', { name: /Finn First/ }).first().click();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('    half a thought\n  indented');
    await page.locator('.attachments li.done', { hasText: 'agenda.txt' }).waitFor();
    await page.reload();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('    half a thought\n  indented');
    await page.locator('.attachments li.done', { hasText: 'agenda.txt' }).waitFor();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-testid=message]', { hasText: 'half a thought' }).waitFor();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('');
    await expect(page.locator('.attachments li').count()).resolves.toBe(0);
    const sent = await finn.api.call(api.messages.list, { params: { id: one.id }, query: {} });
    expect(sent.items.map((m) => [m.body, m.files.map((f) => f.name)])).toEqual([['    half a thought\n  indented', ['agenda.txt']]]);
    await page.reload();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('');
    await expect(page.locator('.attachments li').count()).resolves.toBe(0);
  });

  it('keeps no draft for the next person who signs in on the same tab', async () => {
    const org = await makeOrg(e.t.ctx, { name: 'Shared Desk Org', plan: 'basic' });
    const sam = await makeUser(e.t, { org, displayName: 'Sam Shared' });
    const tess = await makeUser(e.t, { org, displayName: 'Tess Next' });
    const conv = await sam.api.call(api.conversations.startDirect, { body: { email: tess.email } });
    const page = await e.signedIn(sam.token, { path: `/chat/${conv.id}` });
    await page.getByRole('textbox', { name: 'Message' }).fill('not for Tess to read');
    await page.getByTestId('file-input').setInputFiles([{ name: 'private.txt', mimeType: 'text/plain', buffer: Buffer.from('private') }]);
    await page.locator('.attachments li.done').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    await expect(page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('parley:')))).resolves.toEqual([]);
    // Tess signs in on the same tab and opens the chat they share.
    await page.context().addCookies([{ name: 'parley_session', value: tess.token, url: e.t.url }]);
    await page.goto(`/chat/${conv.id}`);
    await page.getByRole('heading', { name: 'Sam Shared' }).waitFor();
    await expect(page.getByRole('textbox', { name: 'Message' }).inputValue()).resolves.toBe('');
    await expect(page.locator('.attachments li').count()).resolves.toBe(0);
  });

  it('sends again, once, a message that failed while the server could not be reached, when the connection is back', async () => {
    // The server cannot be reached at all: every API request fails on the way.
    const { page, box, bodiesAtPeer, reconnect } = await offlineChat(e, 'Offline Org', () => true);
    await box.fill('written while offline');
    await box.press('Enter');
    await page.getByText('Retry').first().waitFor();
    await shot(page, 'chat', '07-failed-offline');
    // Back: the socket reopens and the message goes by itself, stored once.
    reconnect();
    await page.locator('[data-testid=message]', { hasText: 'written while offline' }).waitFor({ timeout: 30_000 });
    await expect.poll(bodiesAtPeer, { timeout: 10_000 }).toEqual(['written while offline']);
    await expect(page.getByText('Retry').count()).resolves.toBe(0);
  }, 60_000);

  it('keeps a message that could not be sent across a reload of the page, and sends it once when it can', async () => {
    // Only sends fail; the rest of the API (and the page itself) still loads.
    const { page, box, bodiesAtPeer, reconnect } = await offlineChat(e, 'Reload Org', (url, method) => method === 'POST' && /\/messages$/.test(new URL(url).pathname));
    await box.fill('survives a reload');
    await box.press('Enter');
    await page.getByText('Retry').first().waitFor();
    await page.reload();
    await page.locator('[data-testid=pending-message]', { hasText: 'survives a reload' }).waitFor();
    await shot(page, 'chat', '08-unsent-after-reload');
    reconnect();
    await page.locator('[data-testid=message]', { hasText: 'survives a reload' }).waitFor({ timeout: 30_000 });
    await expect.poll(bodiesAtPeer, { timeout: 10_000 }).toEqual(['survives a reload']);
    // Sent: a further reload brings nothing back.
    await page.reload();
    await page.locator('[data-testid=message]', { hasText: 'survives a reload' }).waitFor();
    await expect(page.locator('[data-testid=pending-message]').count()).resolves.toBe(0);
  }, 60_000);

  it('works on a phone-sized screen: list, then the chat with a way back', async () => {
    const acme = await makeOrg(e.t.ctx, { name: 'Acme Mobile', plan: 'basic' });
    const cara = await makeUser(e.t, { org: acme, displayName: 'Cara Cole' });
    const dan = await makeUser(e.t, { org: acme, displayName: 'Dan Drew' });
    const conv = await cara.api.call(api.conversations.startDirect, { body: { email: dan.email } });
    const page = await e.signedIn(dan.token, { phone: true });
    const item = page.locator('[data-testid=chat-item]', { hasText: 'Cara Cole' });
    await item.waitFor();
    await shot(page, 'mobile', '01-list');
    await item.click();
    await page.waitForURL(new RegExp(`/chat/${conv.id}$`));
    await expect(page.locator('.chat-list').isVisible()).resolves.toBe(false);
    await page.getByRole('textbox', { name: 'Message' }).fill('On my phone');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('[data-testid=message]', { hasText: 'On my phone' }).waitFor();
    await shot(page, 'mobile', '02-chat');
    await page.getByRole('link', { name: 'Back to chats' }).click();
    await page.waitForURL(/\/chat$/);
    await item.waitFor();
  });
});
