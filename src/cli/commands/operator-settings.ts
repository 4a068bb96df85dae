import type { Command } from 'commander';
import { Stage } from '../../shared/api/shapes.js';
import { parseVersion } from '../../server/http/client-version.js';
import { listOutbox } from '../../server/mail/mailer.js';
import { print, type DbFlags } from '../util.js';
import { operatorCommand, printJson, runOperator, table, usage } from './operator-common.js';

const MAIL_LIMIT_MAX = 1000;

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
      const mails = await runOperator(opts, (ctx) => listOutbox(ctx.db, { to: opts.to?.trim(), limit }));
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
