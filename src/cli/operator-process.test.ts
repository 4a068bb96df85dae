import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDb } from '../server/testing/each-db.js';
import { makeOrg } from '../server/testing/factories.js';

const root = path.resolve(import.meta.dirname, '..', '..');

/** The real `parley` process, as the operator runs it on the server machine. */
function parley(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Only the flags given here may choose the database.
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_LOG_LEVEL: 'warn' };
  delete env.PARLEY_DATABASE_URL;
  delete env.PARLEY_DATA_DIR;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src/cli/bin.ts'), ...args],
      { cwd: root, timeout: 60_000, env },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describeEachDb('parley process', (t) => {
  it('org list runs against the live server database and exits 0', async () => {
    const org = await makeOrg(t().ctx, { name: 'Process Org', plan: 'trial' });
    const r = await parley(['org', 'list', '--database-url', t().db.url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith(org.id));
    expect(line).toMatch(/Process Org\s+trial\s+0\s+org-/);
  });

  it('exits 2 with one clear line for bad usage', async () => {
    const r = await parley(['stage', 'set', 'sideways', '--database-url', t().db.url]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('parley: Unknown stage "sideways": expected off, beta or ga');
    expect(r.stdout).toBe('');
  });
});
