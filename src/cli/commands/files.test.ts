import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeEachDb } from '../../server/testing/each-db.js';
import { makeOrg, makeUser } from '../../server/testing/factories.js';
import { insertTestConversation } from '../../server/testing/conversations.js';
import { dispositionName, downloadFile, safeLocalName, uploadFile } from './files.js';

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
  });
});
