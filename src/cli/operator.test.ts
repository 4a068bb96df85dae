import { mkdtempSync, readdirSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Migrator } from 'kysely';
import pg from 'pg';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { api } from '../shared/api/index.js';
import { ApiError } from '../shared/client.js';
import { getUserWithOrg } from '../server/accounts/store.js';
import { openDatabase } from '../server/db/index.js';
import { migrations } from '../server/db/migrations/index.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../server/testing/databases.js';
import { describeEachDb } from '../server/testing/each-db.js';
import { makeOrg, makeUser, TEST_PASSWORD, uniq } from '../server/testing/factories.js';
import type { TestServer } from '../server/testing/server.js';
import { linkIn } from '../server/testing/smtp-sink.js';
import { runCli as runCliIn } from './testing.js';

/** `parley <args> --database-url <the test server's database>`, as the operator runs it beside a live server. */
function runCli(t: TestServer, args: string[]) {
  return runCliIn([...args, '--database-url', t.db.url]);
}

async function auditOf(t: TestServer, orgId: string) {
  return t.ctx.db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
}

describeEachDb('operator CLI', (t) => {
  it('org create: claims domains, records a pending admin, and prints the id', async () => {
    const domain = `acme-${uniq()}.example`;
    const admin = `Ann@${domain}`;
    const r = await runCli(t(), ['org', 'create', '--name', 'Acme', '--plan', 'paid', '--domain', domain, '--domain', `Other-${domain}`, '--admin', admin]);
    expect(r).toMatchObject({ code: 0 });
    const id = r.out.trim();
    expect(id).toMatch(/^[0-9a-z]+$/);
    expect(r.err).toContain('become admin when they sign up');

    const org = await t().ctx.db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(org).toMatchObject({ name: 'Acme', plan: 'paid', self_signup: 1 });
    const domains = await t().ctx.db.selectFrom('org_domains').select(['domain', 'verified']).where('org_id', '=', id).orderBy('domain').execute();
    expect(domains).toEqual([
      { domain, verified: 1 },
      { domain: `other-${domain}`, verified: 1 },
    ]);
    const pending = await t().ctx.db.selectFrom('org_pending_admins').select('email_norm').where('org_id', '=', id).execute();
    expect(pending).toEqual([{ email_norm: admin.toLowerCase() }]);
    const audit = await auditOf(t(), id);
    expect(audit.map((a) => [a.action, a.actor_id])).toEqual([['org.created', null]]);
    expect(JSON.parse(audit[0]!.data)).toMatchObject({ via: 'cli', plan: 'paid' });

    // The pending admin signs up with that email: they join as admin once verified.
    await t().anon().call(api.auth.signup, { body: { email: admin, password: 'a long enough password', displayName: 'Ann' } });
    const token = new URL(linkIn(await t().smtp.waitFor(admin))).searchParams.get('token')!;
    const { user } = await t().anon().call(api.auth.verify, { body: { token } });
    expect(user).toMatchObject({ orgId: id, role: 'admin' });

    const json = await runCli(t(), ['org', 'create', '--name', 'Beta Co', '--plan', 'trial', '--no-self-signup', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ org: { name: 'Beta Co', plan: 'trial', domains: [], selfSignup: false }, admins: [] });
  });

  it('org create refuses a claimed domain, an admin of another org, and bad arguments', async () => {
    const taken = await makeOrg(t().ctx);
    const elsewhere = await makeUser(t());
    const before = (await t().ctx.db.selectFrom('orgs').select('id').execute()).length;
    const claimed = await runCli(t(), ['org', 'create', '--name', 'Thief', '--domain', taken.domain.toUpperCase()]);
    expect(claimed.code).toBe(1);
    expect(claimed.err).toContain(`${taken.domain} already belongs to another organization`);

    const wrongAdmin = await runCli(t(), ['org', 'create', '--name', 'Nope', '--admin', elsewhere.email]);
    expect(wrongAdmin.code).toBe(1);
    expect(wrongAdmin.err).toContain('another organization');

    const plan = await runCli(t(), ['org', 'create', '--name', 'Gold', '--plan', 'gold']);
    expect(plan.code).toBe(2);
    expect(plan.err).toContain('Unknown plan "gold"');
    const noName = await runCli(t(), ['org', 'create', '--plan', 'paid']);
    expect(noName.code).toBe(2);
    expect(noName.err).toContain("required option '--name <name>'");
    for (const usage of [['org', 'create', '--name', 'X', '--bogus'], ['user', 'deactivate'], ['nosuchcommand']]) {
      expect((await runCli(t(), usage)).code, usage.join(' ')).toBe(2);
    }
    expect((await runCli(t(), ['--help'])).code).toBe(0);
    const badDomain = await runCli(t(), ['org', 'create', '--name', 'X', '--domain', 'not a domain']);
    expect(badDomain.code).toBe(2);
    expect(badDomain.err).toContain('not a valid domain');
    const badEmail = await runCli(t(), ['org', 'create', '--name', 'X', '--admin', 'nobody']);
    expect(badEmail.code).toBe(2);
    const blank = await runCli(t(), ['org', 'create', '--name', '   ']);
    expect(blank.code).toBe(2);

    // Nothing of the refused commands was written.
    expect((await t().ctx.db.selectFrom('orgs').select('id').execute()).length).toBe(before);
  });

  it('org set changes name, plan, domains, self sign-up and admins; org list shows them', async () => {
    const org = await makeOrg(t().ctx, { plan: 'paid' });
    const member = await makeUser(t(), { org });
    const newDomain = `new-${uniq()}.example`;
    const r = await runCli(t(), [
      'org', 'set', '--org', org.domain, '--name', 'Renamed', '--plan', 'channel_partner',
      '--add-domain', newDomain, '--remove-domain', org.domain, '--self-signup', 'off', '--admin', member.email,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Renamed');
    expect(r.err).toContain('is now an admin');
    const row = await t().ctx.db.selectFrom('orgs').selectAll().where('id', '=', org.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'Renamed', plan: 'channel_partner', self_signup: 0 });
    expect((await getUserWithOrg(t().ctx.db, member.user.id))?.role).toBe('admin');
    const audit = await auditOf(t(), org.id);
    expect(audit.map((a) => a.action)).toEqual(['org.updated', 'user.role_changed']);
    expect(JSON.parse(audit[0]!.data)).toMatchObject({ via: 'cli', plan: { from: 'paid', to: 'channel_partner' }, addedDomains: [newDomain], removedDomains: [org.domain] });
    // The member, now admin, reads the change through the API.
    const got = await member.api.call(api.orgs.get, { params: { id: org.id } });
    expect(got.org).toMatchObject({ name: 'Renamed', domains: [newDomain], selfSignup: false });

    const list = await runCli(t(), ['org', 'list']);
    expect(list.code).toBe(0);
    const line = list.out.split('\n').find((l) => l.startsWith(org.id));
    expect(line).toMatch(new RegExp(`${org.id}\\s+Renamed\\s+channel_partner\\s+1\\s+${newDomain.replace(/\./g, '\\.')}`));
    const json = await runCli(t(), ['org', 'list', '--json']);
    const listed = (JSON.parse(json.out) as { id: string; users: number; domains: string[] }[]).find((o) => o.id === org.id);
    expect(listed).toMatchObject({ users: 1, domains: [newDomain] });

    // By id works too; bad uses fail with a clear line.
    expect((await runCli(t(), ['org', 'set', '--org', org.id, '--self-signup', 'on'])).code).toBe(0);
    const unknown = await runCli(t(), ['org', 'set', '--org', 'no-such.example', '--name', 'X']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('"no-such.example" was not found');
    const nothing = await runCli(t(), ['org', 'set', '--org', org.id]);
    expect(nothing.code).toBe(2);
    expect(nothing.err).toContain('Nothing to change');
    expect((await runCli(t(), ['org', 'set', '--org', org.id, '--self-signup', 'maybe'])).code).toBe(2);
    expect((await runCli(t(), ['org', 'set', '--org', org.id, '--plan', 'free'])).code).toBe(2);
    const notOurs = await runCli(t(), ['org', 'set', '--org', org.id, '--remove-domain', 'elsewhere.example']);
    expect(notOurs.code).toBe(1);
    expect(notOurs.err).toContain('elsewhere.example');
  });

  it('stage set/show: running servers follow within a second', async () => {
    const user = await makeUser(t(), { plan: 'basic' });
    try {
      const set = await runCli(t(), ['stage', 'set', 'off']);
      expect(set.code).toBe(0);
      expect((await runCli(t(), ['stage', 'show'])).out.trim()).toBe('off');
      // No invalidation: the server's own cache must expire by itself.
      const deadline = Date.now() + 3000;
      let cap = (await user.api.call(api.auth.me)).capabilities.externalMessaging;
      while (cap.allowed && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        cap = (await user.api.call(api.auth.me)).capabilities.externalMessaging;
      }
      expect(cap).toMatchObject({ allowed: false, reason: 'stage_off' });

      const bad = await runCli(t(), ['stage', 'set', 'gamma']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('Unknown stage "gamma"');
      expect((await runCli(t(), ['stage', 'show'])).out.trim()).toBe('off');
    } finally {
      expect((await runCli(t(), ['stage', 'set', 'ga'])).code).toBe(0);
      t().ctx.settings.invalidate();
    }
    expect((await user.api.call(api.auth.me)).capabilities.externalMessaging.allowed).toBe(true);
  });

  it('user deactivate/reactivate/delete by email act like the admin API', async () => {
    const org = await makeOrg(t().ctx);
    const admin = await makeUser(t(), { org, role: 'admin' });
    const member = await makeUser(t(), { org });

    const off = await runCli(t(), ['user', 'deactivate', member.email.toUpperCase()]);
    expect(off.code, off.err).toBe(0);
    expect(off.out).toContain('deactivated');
    await expect(member.api.call(api.auth.me)).rejects.toBeInstanceOf(ApiError);
    const list = await admin.api.call(api.orgs.listUsers, { params: { id: org.id }, query: { status: 'deactivated' } });
    expect(list.items.map((u) => u.id)).toEqual([member.user.id]);

    expect((await runCli(t(), ['user', 'reactivate', member.email])).code).toBe(0);
    const login = await t().anon().call(api.auth.login, { body: { email: member.email, password: TEST_PASSWORD } });
    expect(login.user.status).toBe('active');

    const del = await runCli(t(), ['user', 'delete', member.email, '--json']);
    expect(del.code).toBe(0);
    expect(JSON.parse(del.out)).toMatchObject({ id: member.user.id, status: 'deleted' });
    const again = await makeUser(t(), { org, email: member.email });
    expect(again.user.id).not.toBe(member.user.id);

    // The operator's entries (sign-ins are logged too, by their user).
    const audit = (await auditOf(t(), org.id)).filter((a) => a.actor_id === null);
    expect(audit.map((a) => [a.action, a.actor_id, a.target_id])).toEqual([
      ['user.deactivated', null, member.user.id],
      ['user.reactivated', null, member.user.id],
      ['user.deleted', null, member.user.id],
    ]);
    expect(audit.every((a) => (JSON.parse(a.data) as { via?: string }).via === 'cli')).toBe(true);

    // The last admin is kept unless the operator insists.
    const last = await runCli(t(), ['user', 'delete', admin.email]);
    expect(last.code).toBe(1);
    expect(last.err).toContain('last active admin');
    expect((await getUserWithOrg(t().ctx.db, admin.user.id))?.status).toBe('active');
    expect((await runCli(t(), ['user', 'deactivate', admin.email, '--force'])).code).toBe(0);
    expect((await getUserWithOrg(t().ctx.db, admin.user.id))?.status).toBe('deactivated');

    const nobody = await runCli(t(), ['user', 'delete', `nobody-${uniq()}@nowhere.example`]);
    expect(nobody.code).toBe(1);
    expect(nobody.err).toContain('No user has the email');
    expect((await runCli(t(), ['user', 'delete', 'not-an-email'])).code).toBe(2);
    expect((await runCli(t(), ['user', 'suspend', member.email])).code).not.toBe(0);
  });

  it('mail list shows the outbox', async () => {
    const org = await makeOrg(t().ctx);
    const admin = await makeUser(t(), { org, role: 'admin' });
    const email = `invitee-${uniq()}@${org.domain}`;
    await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email, displayName: 'Invitee' } });
    const r = await runCli(t(), ['mail', 'list', '--to', email]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('invite');
    expect(lines[1]).toContain(email);
    const json = await runCli(t(), ['mail', 'list', '--json', '--limit', '1']);
    const mails = JSON.parse(json.out) as { to: string; kind: string; text: string }[];
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: email, kind: 'invite' });
    expect(mails[0]!.text).toContain('/reset-password?token=');
    expect((await runCli(t(), ['mail', 'list', '--to', `none-${uniq()}@x.example`])).out.trim()).toBe('No mail.');
    // Addresses are told apart without case, on both sides: as typed, and as stored.
    const shouted = await runCli(t(), ['mail', 'list', '--to', ` ${email.toUpperCase()} `]);
    expect(shouted.out.trim().split('\n')).toHaveLength(2);
    const mixed = `Mixed-${uniq()}@${org.domain}`;
    await admin.api.call(api.orgs.createUser, { params: { id: org.id }, body: { email: mixed, displayName: 'Mixed' } });
    const lower = await runCli(t(), ['mail', 'list', '--to', mixed.toLowerCase(), '--json']);
    expect((JSON.parse(lower.out) as { to: string }[]).map((m) => m.to)).toEqual([mixed]);
    for (const bad of ['0', 'ten', '1001', '-3']) expect((await runCli(t(), ['mail', 'list', '--limit', bad])).code, bad).not.toBe(0);
  });

  it('client min-version set/show/clear', async () => {
    try {
      expect((await runCli(t(), ['client', 'min-version', 'set', '2.1.0'])).code).toBe(0);
      expect((await runCli(t(), ['client', 'min-version', 'show'])).out.trim()).toBe('2.1.0');
      t().ctx.settings.invalidate();
      expect(await t().ctx.settings.clientMinVersion()).toBe('2.1.0');
      const bad = await runCli(t(), ['client', 'min-version', 'set', 'latest']);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('"latest" is not a version');
      expect((await runCli(t(), ['client', 'min-version', 'show'])).out.trim()).toBe('2.1.0');
    } finally {
      expect((await runCli(t(), ['client', 'min-version', 'clear'])).code).toBe(0);
    }
    t().ctx.settings.invalidate();
    expect(await t().ctx.settings.clientMinVersion()).toBeNull();
    expect((await runCli(t(), ['client', 'min-version', 'show'])).out.trim()).toBe('No minimum client version.');
  });
});

describe('operator CLI: the database must exist', () => {
  it('refuses a SQLite database that is not there, creating nothing, for reads and writes alike', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'parley-nodb-'));
    const cases: [string, string[]][] = [
      ['org list', ['org', 'list', '--database-url', `sqlite:${path.join(root, 'typo', 'parley.db')}`]],
      ['stage set', ['stage', 'set', 'off', '--data-dir', path.join(root, 'typo-dir')]],
      ['user deactivate', ['user', 'deactivate', 'ann@acme.example', '--database-url', path.join(root, 'missing.db')]],
    ];
    for (const [label, args] of cases) {
      const r = await runCliIn(args);
      expect(r.code, label).toBe(1);
      expect(r.err, label).toContain('No Parley database at');
      expect(r.out, label).toBe('');
    }
    expect(readdirSync(root)).toEqual([]);
    // `migrate` is how an operator creates it on purpose; then the commands work.
    const url = path.join(root, 'made', 'parley.db');
    expect((await runCliIn(['migrate', '--database-url', url])).code).toBe(0);
    const listed = await runCliIn(['org', 'list', '--database-url', url]);
    expect(listed.code).toBe(0);
  });
});

/** Runs SQL on a test database outside Parley, as another application would; answers its tables. */
async function outside(db: TestDatabase, statement?: string): Promise<string[]> {
  if (db.kind === 'sqlite') {
    const raw = new SQLite(db.url);
    try {
      if (statement) raw.exec(statement);
      return (raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    if (statement) await client.query(statement);
    const r = await client.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
    return r.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe('operator CLI: only migrate and serve change the schema', () => {
  for (const kind of testDatabases()) {
    it(`[${kind}] refuses another application's database and an empty one, changing nothing`, async () => {
      const empty = await createTestDatabase(kind);
      const foreign = await createTestDatabase(kind);
      try {
        await outside(empty, kind === 'sqlite' ? 'PRAGMA user_version = 0' : undefined);
        const onEmpty = await runCliIn(['stage', 'show', '--database-url', empty.url]);
        expect(onEmpty.code).toBe(1);
        expect(onEmpty.err).toMatch(/is empty, not a Parley database: create it with `parley migrate`/);
        expect(await outside(empty)).toEqual([]);

        await outside(foreign, 'CREATE TABLE notes (x TEXT)');
        for (const args of [['stage', 'show'], ['org', 'list'], ['org', 'create', '--name', 'Intruder']]) {
          const r = await runCliIn([...args, '--database-url', foreign.url]);
          expect(r.code, args.join(' ')).toBe(2);
          expect(r.err, args.join(' ')).toMatch(/is not a Parley database .*nothing was changed/);
          expect(r.out).toBe('');
        }
        expect(await outside(foreign)).toEqual(['notes']);
      } finally {
        await empty.drop();
        await foreign.drop();
      }
    });

    it(`[${kind}] refuses a Parley database whose schema is behind until \`parley migrate\` brings it up to date`, async () => {
      const db = await createTestDatabase(kind);
      try {
        // The schema of an earlier Parley: its first two migrations.
        const older = openDatabase(db.url);
        const firstTwo = Object.fromEntries(Object.entries(migrations).slice(0, 2));
        await new Migrator({ db: older.kysely, provider: { getMigrations: async () => firstTwo } }).migrateToLatest();
        await older.close();
        const tablesBefore = await outside(db);

        const behind = await runCliIn(['stage', 'show', '--database-url', db.url]);
        expect(behind.code).toBe(1);
        expect(behind.err).toMatch(/is behind this version of Parley .*run `parley migrate` first/);
        expect(await outside(db)).toEqual(tablesBefore);

        expect((await runCliIn(['migrate', '--database-url', db.url])).code).toBe(0);
        const after = await runCliIn(['stage', 'show', '--database-url', db.url]);
        expect(after).toMatchObject({ code: 0, out: 'ga\n' });
      } finally {
        await db.drop();
      }
    });
  }
});
