import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { api } from '../../shared/api/index.js';
import { ParleyClient } from '../../shared/client.js';
import { describeEachDb } from '../../server/testing/each-db.js';
import { makeOrg, makeUser } from '../../server/testing/factories.js';
import { insertTestConversation } from '../../server/testing/conversations.js';
import { dispositionName, downloadFile, fitName, safeLocalName } from './download.js';
import { uploadFile } from './files.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

const startDir = process.cwd();
afterEach(() => process.chdir(startDir));

it('keeps a suggested download name inside the current directory', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-dl-'));
  process.chdir(dir);
  const cwd = process.cwd();
  expect(safeLocalName('../../etc/passwd', 'f')).toBe(path.join(cwd, 'passwd'));
  expect(safeLocalName('..', 'fallback')).toBe(path.join(cwd, 'fallback'));
  expect(safeLocalName('a\\b\\..\\c.txt', 'f')).toBe(path.join(cwd, 'c.txt'));
  expect(safeLocalName('x\ny.txt', 'f')).toBe(path.join(cwd, 'xy.txt'));
  expect(safeLocalName(null, 'file-1')).toBe(path.join(cwd, 'file-1'));
  expect(dispositionName(`attachment; filename="a_b.txt"; filename*=UTF-8''%E5%A0%B1%22.txt`)).toBe('報".txt');
  expect(dispositionName('attachment; filename="plain.txt"')).toBe('plain.txt');
});

it('names a download without -o plainly: no leading dots, cut to fit with its extension', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-dl-'));
  process.chdir(dir);
  const cwd = process.cwd();
  expect(safeLocalName('.bash_profile', 'f')).toBe(path.join(cwd, 'bash_profile'));
  expect(safeLocalName('.. .ssh', 'f')).toBe(path.join(cwd, 'ssh'));
  expect(safeLocalName('...', 'fallback')).toBe(path.join(cwd, 'fallback'));
  expect(safeLocalName('notes.v2.txt', 'f')).toBe(path.join(cwd, 'notes.v2.txt'));
  // C1 controls and direction marks go too: "\u202Etxt.exe" would read as "exe.txt".
  expect(safeLocalName('a\u009b31m\u202etxt.exe', 'f')).toBe(path.join(cwd, 'a31mtxt.exe'));
  const long = safeLocalName(`${'日'.repeat(200)}.txt`, 'f');
  expect(Buffer.byteLength(path.basename(long))).toBeLessThanOrEqual(255);
  expect(path.basename(long)).toMatch(/^日+\.txt$/);
  // Never half a character: an emoji with a modifier stays whole or goes whole.
  expect(fitName(`${'👍🏽'.repeat(40)}.png`, 50)).toBe(`${'👍🏽'.repeat(5)}.png`);
});

/** A server that answers every request by `handler`, for what a real Parley server never does. */
async function fakeServer(handler: http.RequestListener): Promise<{ client: ParleyClient; close: () => void }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    client: new ParleyClient({ baseUrl: url, token: 't', timeoutMs: 500 }),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

it('gives up on a transfer the server stops answering, after PARLEY_TIMEOUT, like any request', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-stall-'));
  process.chdir(dir);
  // Accepts connections and never answers; then, one that starts a file and stops sending.
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentClient = new ParleyClient({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, token: 't', timeoutMs: 500 });
  const stalling = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100', 'content-disposition': 'attachment; filename="stalled.bin"' });
    res.write('only the start');
  });
  try {
    writeFileSync(path.join(dir, 'up.txt'), 'hello');
    const started = Date.now();
    await expect(uploadFile(silentClient, 'c1', path.join(dir, 'up.txt'))).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(downloadFile(silentClient, 'f1')).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(downloadFile(stalling.client, 'f1')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(5000);
    // Nothing half-written is left behind.
    expect(readdirSync(dir)).toEqual(['up.txt']);
  } finally {
    silent.close();
    stalling.close();
  }
});

it('keeps the file -o names when a download fails, and refuses to replace a read-only one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-keep-'));
  const notes = path.join(dir, 'notes.txt');
  // Sends the start of a file, then breaks the connection.
  const broken = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(20000, 'x'), () => res.destroy());
  });
  try {
    writeFileSync(notes, 'my precious notes');
    await expect(downloadFile(broken.client, 'f1', notes)).rejects.toThrow();
    expect(readFileSync(notes, 'utf8')).toBe('my precious notes');
    expect(readdirSync(dir)).toEqual(['notes.txt']);

    chmodSync(notes, 0o444);
    const refused = await downloadFile(broken.client, 'f1', notes).catch((err: unknown) => err);
    expect(refused).toMatchObject({ exitCode: 2, message: expect.stringMatching(/notes\.txt is read-only/) });
    expect(readFileSync(notes, 'utf8')).toBe('my precious notes');
    expect(statSync(notes).mode & 0o777).toBe(0o444);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  } finally {
    broken.close();
  }
});

it('leaves no part file behind when a download is interrupted (Ctrl-C)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-interrupt-'));
  // Starts a file and then trickles it, so the download is under way when it is interrupted.
  const slow = await fakeServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1000000' });
    res.write(Buffer.alloc(1000, 'x'));
    const more = setInterval(() => res.write(Buffer.alloc(10, 'x')), 50);
    res.on('close', () => clearInterval(more));
  });
  try {
    const config = path.join(dir, 'config');
    mkdirSync(config, { mode: 0o700 });
    writeFileSync(path.join(config, 'credentials.json'), JSON.stringify({ server: slow.client.baseUrl, token: 't', email: 'a@x.example', userId: 'u' }), { mode: 0o600 });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/bin.ts'), 'download', 'f1', '-o', path.join(dir, 'out.bin')], {
      cwd: ROOT,
      env: { ...process.env, PARLEY_CONFIG_DIR: config, PARLEY_TIMEOUT: '20' },
      stdio: 'ignore',
    });
    const parts = () => readdirSync(dir).filter((n) => n.endsWith('.part'));
    await expect.poll(parts, { timeout: 15_000 }).toHaveLength(1);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(readdirSync(dir).sort()).toEqual(['config']);
  } finally {
    slow.close();
  }
}, 30_000);

it('says plainly that a file to upload cannot be read, reading errors included', async () => {
  const silent = await fakeServer(() => undefined);
  try {
    const missing = await uploadFile(silent.client, 'c1', '/nonexistent/file.txt').catch((err: unknown) => err);
    expect(missing).toMatchObject({ exitCode: 2, message: 'Cannot read /nonexistent/file.txt: no such file or directory' });
    // Opens fine, fails on the first read (EIO): the error must reach the caller, not crash.
    if (process.platform === 'linux') {
      const unreadable = await uploadFile(silent.client, 'c1', '/proc/self/mem').catch((err: unknown) => err);
      expect(unreadable).toMatchObject({ exitCode: 2, message: 'Cannot read /proc/self/mem: input/output error' });
    }
    if (process.getuid?.() !== 0) {
      const locked = path.join(mkdtempSync(path.join(os.tmpdir(), 'parley-locked-')), 'locked');
      writeFileSync(locked, 'secret');
      chmodSync(locked, 0o000);
      const denied = await uploadFile(silent.client, 'c1', locked).catch((err: unknown) => err);
      expect(denied).toMatchObject({ exitCode: 2, message: `Cannot read ${locked}: permission denied` });
    }
  } finally {
    silent.close();
  }
});

describeEachDb('cli: upload and download', (t) => {
  it('streams a file up and down byte for byte, named by the server', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann] });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-cli-'));
    const src = path.join(dir, 'résumé "final".bin');
    const data = randomBytes(3 * 1024 * 1024 + 3);
    writeFileSync(src, data);
    const info = await uploadFile(ann.api, conversationId, src);
    expect(info).toMatchObject({ name: 'résumé "final".bin', size: data.length });

    const out = mkdtempSync(path.join(os.tmpdir(), 'parley-cli-out-'));
    process.chdir(out);
    const saved = await downloadFile(ann.api, info.id);
    expect(saved.path).toBe(path.join(process.cwd(), 'résumé "final".bin'));
    expect(readFileSync(saved.path).equals(data)).toBe(true);
    // Never overwrites without -o.
    await expect(downloadFile(ann.api, info.id)).rejects.toThrow(/already exists/);
    const explicit = await downloadFile(ann.api, info.id, path.join(dir, 'copy.bin'));
    expect(readFileSync(explicit.path).equals(data)).toBe(true);
    await expect(downloadFile(ann.api, 'nosuchfile')).rejects.toMatchObject({ status: 404 });

    // -o an existing file replaces it whole; -o a directory saves there under the server's name.
    writeFileSync(path.join(dir, 'old.bin'), 'old');
    expect(readFileSync((await downloadFile(ann.api, info.id, path.join(dir, 'old.bin'))).path).equals(data)).toBe(true);
    const into = path.join(dir, 'into');
    mkdirSync(into);
    const inDir = await downloadFile(ann.api, info.id, into);
    expect(inDir.path).toBe(path.join(into, 'résumé "final".bin'));
    expect(readFileSync(inDir.path).equals(data)).toBe(true);
    await expect(downloadFile(ann.api, info.id, into)).rejects.toThrow(/already exists/);
  });

  it('saves a file the sender named as a dotfile, or with a name too long for the disk, under a plain name that fits', async () => {
    const org = await makeOrg(t().ctx);
    const ann = await makeUser(t(), { org });
    const conversationId = await insertTestConversation(t().ctx, { members: [ann] });
    // Names a local file could not have (600 bytes): sent as the web client sends them.
    const upload = async (name: string) => {
      const res = await fetch(ann.api.url(api.files.upload.path, { conversationId, name }), {
        method: 'POST',
        headers: ann.api.headers({ 'content-type': 'application/octet-stream' }),
        body: 'echo hi\n',
      });
      return (await ParleyClient.read(res)) as { id: string };
    };
    const dot = await upload('.bash_profile');
    const long = await upload(`${'日'.repeat(200)}.txt`);
    const out = mkdtempSync(path.join(os.tmpdir(), 'parley-cli-out-'));
    process.chdir(out);
    expect((await downloadFile(ann.api, dot.id)).path).toBe(path.join(process.cwd(), 'bash_profile'));
    const saved = await downloadFile(ann.api, long.id);
    expect(path.basename(saved.path)).toMatch(/^日+\.txt$/);
    expect(readFileSync(saved.path, 'utf8')).toBe('echo hi\n');
    expect(readdirSync(out).sort()).toEqual(['bash_profile', path.basename(saved.path)].sort());
  });
});
