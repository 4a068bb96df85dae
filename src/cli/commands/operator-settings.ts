import type { Command } from 'commander';
import { sql } from 'kysely';
import { Stage } from '../../shared/api/shapes.js';
import { normalizeEmail } from '../../server/accounts/tokens.js';
import type { AppContext } from '../../server/context.js';
import { lowerSql } from '../../server/db/fold.js';
import { parseVersion } from '../../server/http/client-version.js';
import { listOutbox, type OutboxEntry } from '../../server/mail/mailer.js';
import { print, type DbFlags } from '../util.js';
import { operatorCommand, printJson, runOperator, table, usage } from './operator-common.js';

const MAIL_LIMIT_MAX = 1000;

/**
 * The newest `limit` mails to an address, whatever the case of its letters: the outbox keeps
 * each address as it was typed (Ann@Acme.example at sign-up, ann@acme.example in an invitation),
 * and email addresses are told apart without case everywhere else. Each spelling stored is
 * listed by the outbox's own query, then merged newest first.
 */
async function outboxTo(ctx: AppContext, to: string, limit: number): Promise<OutboxEntry[]> {
  const spellings = await ctx.db
    .selectFrom('mail_outbox')
    .select('to_addr')
    .distinct()
    .where(lowerSql(ctx.db, sql.ref('to_addr')), '=', lowerSql(ctx.db, to))
    .execute();
  const lists = await Promise.all(spellings.map((s) => listOutbox(ctx.db, { to: s.to_addr, limit })));
  const newestFirst = (a: OutboxEntry, b: OutboxEntry) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1);
  return lists.flat().sort(newestFirst).slice(0, limit);
}

/** Deployment-wide switches (stage, minimum client version) and the mail outbox. */
export function registerSettingsCommands(program: Command): void {
  const stage = program.command('stage').description('the cross-org messaging stage: off, beta or ga');
  operatorCommand(stage, 'set <stage>', 'switch cross-org messaging: off, beta or ga (servers apply it within a second)').action(
    async (value: string, opts: DbFlags) => {
      const parsed = Stage.safeParse(value.trim().toLowerCase());
      if (!parsed.success) throw usage(`Unknown stage "${value}": expected off, beta or ga`);
      await runOperator(opts, (ctx) => ctx.settings.setStage(parsed.data));
      print(`Cross-org messaging stage: ${parsed.data}`);
    },
  );
  operatorCommand(stage, 'show', 'print the current stage').action(async (opts: DbFlags) => {
    print(await runOperator(opts, (ctx) => ctx.settings.stage()));
  });

  const mail = program.command('mail').description('the mail outbox: every mail Parley sent or logged');
  operatorCommand(mail, 'list', 'list recent mail, newest first')
    .option('--to <email>', 'only mail to this address')
    .option('--limit <n>', `how many (1-${MAIL_LIMIT_MAX})`, '20')
    .option('--json', 'print JSON, with the mail texts')
    .action(async (opts: DbFlags & { to?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!/^\d+$/.test(opts.limit.trim()) || limit < 1 || limit > MAIL_LIMIT_MAX) throw usage(`--limit takes a whole number from 1 to ${MAIL_LIMIT_MAX}, not "${opts.limit}"`);
      const to = opts.to === undefined ? undefined : normalizeEmail(opts.to);
      if (to === '') throw usage('--to needs an email address');
      const mails = await runOperator(opts, (ctx) => (to ? outboxTo(ctx, to, limit) : listOutbox(ctx.db, { limit })));
      if (opts.json) return printJson(mails);
      if (mails.length === 0) return print('No mail.');
      const state = (m: (typeof mails)[number]) => (m.sentAt ? 'sent' : m.error ? `failed: ${m.error}` : 'logged');
      print(
        table(
          ['WHEN', 'KIND', 'TO', 'STATE', 'SUBJECT'],
          mails.map((m) => [m.createdAt, m.kind, m.to, state(m), m.subject]),
        ),
      );
    });

  const client = program.command('client').description('clients allowed to use cross-org features');
  const minVersion = client.command('min-version').description('the oldest client version accepted by cross-org endpoints (older ones get 426)');
  operatorCommand(minVersion, 'set <version>', 'set the minimum, e.g. 1.4.0').action(async (version: string, opts: DbFlags) => {
    const v = version.trim();
    if (!parseVersion(v)) throw usage(`"${version}" is not a version: expected e.g. 1.4.0`);
    await runOperator(opts, (ctx) => ctx.settings.setClientMinVersion(v));
    print(`Minimum client version: ${v}`);
  });
  operatorCommand(minVersion, 'clear', 'accept every client version').action(async (opts: DbFlags) => {
    await runOperator(opts, (ctx) => ctx.settings.setClientMinVersion(null));
    print('No minimum client version.');
  });
  operatorCommand(minVersion, 'show', 'print the minimum, if any').action(async (opts: DbFlags) => {
    const v = await runOperator(opts, (ctx) => ctx.settings.clientMinVersion());
    print(v ?? 'No minimum client version.');
  });
}
