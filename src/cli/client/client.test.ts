import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { ParleyClient } from '../../shared/client.js';
import { describeEachDb } from '../../server/testing/each-db.js';
import { makeOrg, makeUser, TEST_PASSWORD } from '../../server/testing/factories.js';
import { insertTestConversation } from '../../server/testing/conversations.js';
import { sendWithRetry } from '../commands/client.js';
import { runCli, useTempConfigDir } from '../testing.js';
import { credentialsPath, writeCredentials } from './credentials.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

const run = (...argv: string[]) => runCli(argv);

describeEachDb('parley user client (CLI)', (t) => {
  useTempConfigDir('parley-cli-');

  async function colleagues() {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    return { me: await makeUser(t(), { org }), peer: await makeUser(t(), { org }) };
  }

  it('refuses what is not a Parley server, keeps a session it could not end, and prints no control characters', async () => {
    const { me } = await colleagues();
    const impostor = http.createServer((req, res) => {
      if (req.url?.endsWith('/auth/login')) res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not parley</html>');
      else res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'x\u001b[2J', message: 'line one\nline two \u001b]0;PWNED\u0007' } }));
    });
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    const impostorUrl = `http://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
    try {
      const html = await run('login', '--server', impostorUrl, '--email', me.email, '--password', TEST_PASSWORD);
      expect(html.code).toBe(1);
      expect(html.err).toMatch(/does not look like a Parley server/);
      expect(existsSync(credentialsPath())).toBe(false);

      // Logged in to the real server, whose address then stops answering: the session is kept.
      expect((await run('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD)).code).toBe(0);
      const saved = JSON.parse(readFileSync(credentialsPath(), 'utf8')) as { server: string };
      writeFileSync(credentialsPath(), JSON.stringify({ ...saved, server: 'http://127.0.0.1:1' }));
      const out = await run('logout');
      expect(out.code).toBe(4);
      expect(existsSync(credentialsPath())).toBe(true);

      // The impostor's error text reaches the terminal on one line, without its escapes.
      writeFileSync(credentialsPath(), JSON.stringify({ ...saved, server: impostorUrl }));
      const shown = await run('chats');
      expect(shown.code).toBe(1);
      expect(shown.err.trimEnd()).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f]/);
    } finally {
      impostor.close();
    }
  });

  it('explains what is wrong: not logged in, bad password, unreachable server', async () => {
    const notLogged = await run('chats');
    expect(notLogged.code).toBe(3);
    expect(notLogged.err).toMatch(/Not logged in/);
    // A saved session that is there but damaged is not "not logged in": it says which file and what to do.
    mkdirSync(path.dirname(credentialsPath()), { recursive: true });
    for (const text of ['{"server": "http://127.0.0.1:1", "tok', '{"server": 42}']) {
      writeFileSync(credentialsPath(), text);
      const damaged = await run('chats');
      expect(damaged.code).toBe(3);
      expect(damaged.err).toContain(`The saved session in ${credentialsPath()} is unreadable`);
      expect(damaged.err).toMatch(/log in again with `parley login/);
    }

    const { me } = await colleagues();
    const bad = await run('login', '--server', t().url, '--email', me.email, '--password', 'wrong password!');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/invalid_credentials/);

    const down = await run('login', '--server', 'http://127.0.0.1:1', '--email', me.email, '--password', 'x');
    expect(down.code).toBe(4);
    expect(down.err).toMatch(/Cannot reach the server at http:\/\/127\.0\.0\.1:1/);

    // A name and password in the URL: refused plainly, before anything is sent or saved.
    const withPassword = await run('login', '--server', t().url.replace('http://', 'http://ann:secret@'), '--email', me.email, '--password', TEST_PASSWORD);
    expect([withPassword.code, withPassword.err]).toEqual([2, expect.stringMatching(/must not hold a name or password/)]);
    expect(withPassword.err).not.toContain('secret');
  });

  it('gives up on a server that never answers, after PARLEY_TIMEOUT, and says so', async () => {
    const { me } = await colleagues();
    // Accepts connections and never answers.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const saved = process.env.PARLEY_TIMEOUT;
    try {
      process.env.PARLEY_TIMEOUT = '0.5';
      const started = Date.now();
      const res = await run('login', '--server', silentUrl, '--email', me.email, '--password', TEST_PASSWORD);
      expect(res.code).toBe(4);
      expect(res.err).toMatch(/Cannot reach the server at .*no answer within 0\.5 s/);
      expect(Date.now() - started).toBeLessThan(5000);
      // File transfers wait for the server's answer no longer than any other request.
      writeCredentials({ server: silentUrl, token: 't', email: me.email, userId: 'u' });
      const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-cli-'));
      writeFileSync(path.join(dir, 'f.txt'), 'hi');
      for (const argv of [['upload', 'c1', path.join(dir, 'f.txt')], ['send', 'c1', '--file', path.join(dir, 'f.txt')], ['download', 'f1', '-o', path.join(dir, 'out')]]) {
        const transfer = await run(...argv);
        expect(transfer.code, argv[0]).toBe(4);
        expect(transfer.err, argv[0]).toMatch(/Cannot reach the server at .*no answer within 0\.5 s/);
      }
      expect(readdirSync(dir)).toEqual(['f.txt']);
      process.env.PARLEY_TIMEOUT = 'soon';
      const bad = await run('login', '--server', silentUrl, '--email', me.email, '--password', TEST_PASSWORD);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/PARLEY_TIMEOUT must be a number of seconds/);
      // The message states the rule that is applied: 0 is refused.
      process.env.PARLEY_TIMEOUT = '0';
      const zero = await run('login', '--server', silentUrl, '--email', me.email, '--password', TEST_PASSWORD);
      expect(zero.code).toBe(2);
      expect(zero.err).toMatch(/PARLEY_TIMEOUT must be a number of seconds above 0 and at most 3600, not "0"/);
    } finally {
      if (saved === undefined) delete process.env.PARLEY_TIMEOUT;
      else process.env.PARLEY_TIMEOUT = saved;
      silent.close();
    }
  });

  it('logs in (credentials 0600), starts a chat, sends, lists, and logs out', async () => {
    const { me, peer } = await colleagues();
    const login = await run('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD);
    expect(login.code).toBe(0);
    expect(login.out).toMatch(/Logged in/);
    const file = credentialsPath();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(file, 'utf8'));
    expect(creds.server).toBe(t().url);

    const start = await run('chat', 'start', peer.email);
    expect(start.code).toBe(0);
    const conversationId = start.out.split(/\s+/)[0]!;
    expect(start.out).toContain(peer.email);

    const sent = await run('send', conversationId, 'hello', 'from', 'the', 'CLI');
    expect(sent.code).toBe(0);
    expect(sent.out).toMatch(/^sent #1 /);
    const history = await peer.api.call(api.messages.list, { params: { id: conversationId }, query: { after: 0 } });
    expect(history.items.map((m) => m.body)).toEqual(['hello from the CLI']);

    // An email works as the chat: the same direct chat.
    const byEmail = await run('send', peer.email, 'second');
    expect(byEmail.out).toMatch(/^sent #2 to /);
    expect(byEmail.out).toContain(conversationId);
    expect(byEmail.out).not.toMatch(/not on Parley yet/);
    // A future colleague without an account yet: sent into a pending chat, and told so.
    const nobody = `newcomer-${Date.now()}@${me.email.split('@')[1]}`;
    const pending = await run('send', nobody, 'waiting for you');
    expect([pending.code, pending.err]).toEqual([0, '']);
    expect(pending.out).toMatch(/^sent #1 to /);
    expect(pending.out).toContain(`${nobody} is not on Parley yet: the message is delivered when they join`);

    const chats = await run('chats');
    expect(chats.code).toBe(0);
    expect(chats.out).toContain(conversationId);
    expect(chats.out).toContain('second');

    const missing = await run('send', 'nosuchconversation', 'hi');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/not_found/);

    const out = await run('logout');
    expect(out.code).toBe(0);
    await expect(new ParleyClient({ baseUrl: t().url, token: creds.token }).call(api.auth.me)).rejects.toMatchObject({ status: 401 });
    expect((await run('chats')).code).toBe(3);
  });

  it('retries a send once with the same clientId after a network failure, without a duplicate', async () => {
    const { me, peer } = await colleagues();
    const conv = await me.api.call(api.conversations.startDirect, { body: { email: peer.email } });
    let calls = 0;
    // The first request reaches the server, but its answer is "lost".
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      const res = await fetch(input, init);
      if (calls === 1) throw new TypeError('fetch failed');
      return res;
    };
    const client = new ParleyClient({ baseUrl: t().url, token: me.token, clientName: 'cli/test', fetch: flaky });
    const m = await sendWithRetry(client, conv.id, 'only once', 'fixed-client-id');
    expect(calls).toBe(2);
    expect(m.seq).toBe(1);
    const history = await peer.api.call(api.messages.list, { params: { id: conv.id }, query: { after: 0 } });
    expect(history.items).toHaveLength(1);
    expect(history.items[0]!.id).toBe(m.id);
  });

  it('watch prints messages as they arrive, one line each', async () => {
    const { me, peer } = await colleagues();
    const conv = await peer.api.call(api.conversations.startDirect, { body: { email: me.email } });
    await run('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD);
    const watching = run('watch', '--exit-after', '2');
    // Sent once the watcher's socket is open (its hello), so both arrive live or by catch-up.
    await new Promise((r) => setTimeout(r, 500));
    await peer.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: 'w1', body: 'first line' } });
    await peer.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: 'w2', body: 'second\nline' } });
    const res = await watching;
    expect(res.code).toBe(0);
    const lines = res.out.trim().split('\n');
    expect(lines[0]).toMatch(/^Watching as /);
    expect(lines.filter((l) => l.includes(conv.id) && l.includes('#'))).toHaveLength(2);
    expect(res.out).toContain(`#1 ${peer.user.display_name}: first line`);
    expect(res.out).toContain(`#2 ${peer.user.display_name}: second line`);
  });

  it('watch follows chats beyond the first page of the list: a new message there is one line, by name', async () => {
    const { me, peer } = await colleagues();
    const old = await peer.api.call(api.conversations.startDirect, { body: { email: me.email } });
    for (let i = 1; i <= 3; i++) await peer.api.call(api.messages.send, { params: { id: old.id }, body: { clientId: `old${i}`, body: `old ${i}` } });
    // 101 chats with more recent activity push the old one off the list's first page.
    for (let i = 0; i < 101; i++) await insertTestConversation(t().ctx, { members: [me, peer], kind: 'group', title: `newer ${i}` });
    await run('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD);
    const watching = run('watch', '--exit-after', '1');
    await new Promise((r) => setTimeout(r, 1500));
    await peer.api.call(api.messages.send, { params: { id: old.id }, body: { clientId: 'fresh', body: 'news' } });
    const res = await watching;
    expect(res.code).toBe(0);
    const messageLines = res.out.split('\n').filter((l) => l.includes(old.id) && l.includes('#'));
    expect(messageLines).toHaveLength(1);
    expect(messageLines[0]).toContain(`#4 ${peer.user.display_name}: news`);
  });

  it('works as a real process', async () => {
    const { me, peer } = await colleagues();
    const env = { ...process.env, PARLEY_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'parley-cli-')) };
    const exec = (...args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
        });
      });
    expect((await exec('chats')).code).toBe(3);
    const login = await exec('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD);
    expect(login.code).toBe(0);
    const sent = await exec('send', peer.email, 'from a real process');
    expect(sent.code).toBe(0);
    expect(sent.out).toMatch(/^sent #1 /);
    const chats = await exec('chats');
    expect(chats.out).toContain('from a real process');
  });

  it('lets no control or direction character of other people reach the terminal', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    // Stored as a server that does not check names would store them.
    const peer = await makeUser(t(), { org, displayName: 'Eve\u009b2J\u202eBad\u200f' });
    await run('login', '--server', t().url, '--email', me.email, '--password', TEST_PASSWORD);
    const hostile = 'x \u009b31mRED \u009d0;pwned\u009c \u202egnp.exe \u2066a\u2069 \u061c\u200e\u007f\u0085end';
    const started = await run('chat', 'start', peer.email);
    const conversationId = started.out.split(/\s+/)[0]!;
    const watching = run('watch', '--exit-after', '1');
    await new Promise((r) => setTimeout(r, 500));
    await peer.api.call(api.messages.send, { params: { id: conversationId }, body: { clientId: 'h1', body: hostile } });
    const watched = await watching;
    const chats = await run('chats');
    const unsafe = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
    for (const [label, out] of [['chat start', started.out], ['watch', watched.out], ['chats', chats.out]] as const) {
      expect(out, label).not.toMatch(unsafe);
    }
    // What remains is readable: controls became spaces, direction marks went.
    expect(started.out).toContain('chat with Eve 2JBad <');
    expect(chats.out).toMatch(/Eve 2JBad <.*— x\s+31mRED\s+0;pwned\s+gnp\.exe a\s+end/);
    expect(watched.out).toMatch(/Eve 2JBad: x\s+31mRED\s+0;pwned\s+gnp\.exe a\s+end/);
  });

  it('as a real process: reads a piped password without waiting for the pipe to end, and ends quietly when its output is closed', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const me = await makeUser(t(), { org });
    const peer = await makeUser(t(), { org });
    const conv = await peer.api.call(api.conversations.startDirect, { body: { email: me.email } });
    const env = { ...process.env, PARLEY_CONFIG_DIR: mkdtempSync(path.join(os.tmpdir(), 'parley-cli-')) };
    const parley = (...args: string[]) => spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', ...args], { cwd: ROOT, env });
    const exited = (child: ReturnType<typeof parley>) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ code: number | null; err: string }>((resolve) => child.on('close', (code) => resolve({ code, err })));
    };

    // The password line arrives and the pipe stays open (a script that goes on writing later).
    const login = parley('login', '--server', t().url, '--email', me.email);
    const loggedIn = exited(login);
    login.stdin!.write(`${TEST_PASSWORD}\n`);
    const killer = setTimeout(() => login.kill(), 15_000);
    const l = await loggedIn;
    clearTimeout(killer);
    login.stdin!.destroy();
    expect(l.code, l.err).toBe(0);

    // `parley watch | head -1`: the reader goes away after the first line.
    const watch = parley('watch');
    const watched = exited(watch);
    await new Promise<void>((resolve) => watch.stdout!.once('data', () => resolve()));
    watch.stdout!.destroy();
    for (let i = 0; i < 3; i++) await peer.api.call(api.messages.send, { params: { id: conv.id }, body: { clientId: `p${i}`, body: `line ${i}` } });
    const stopper = setTimeout(() => watch.kill(), 15_000);
    const w = await watched;
    clearTimeout(stopper);
    expect(w.code).toBe(0);
    expect(w.err).toBe('');
  });
});
