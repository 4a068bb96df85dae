import type { Command } from 'commander';
import type { OrgDetails } from '../../shared/api/orgs.js';
import { CLI_ACTOR } from '../../server/audit/service.js';
import { doCreateOrg, doUpdateOrg, listOrgSummaries, resolveOrg, type AdminOutcome } from '../../server/orgs/org-service.js';
import { print } from '../util.js';
import type { DbFlags } from '../util.js';
import { collect, note, operatorCommand, printJson, runOperator, table, usage } from './operator-common.js';

const PLANS = 'basic, trial, paid or channel_partner';

function reportAdmins(admins: AdminOutcome[], org: OrgDetails): void {
  for (const a of admins) {
    if (a.outcome === 'promoted') note(`${a.email} is now an admin of the organization.`);
    else if (a.outcome === 'already_admin') note(`${a.email} was already an admin of the organization.`);
    else {
      note(`${a.email} has no account yet: they become admin when they sign up with that email and verify it.`);
      // Sign-up joins an org only through one of its domains with self sign-up on.
      const domain = a.email.slice(a.email.lastIndexOf('@') + 1);
      if (!org.domains.includes(domain)) note(`Warning: ${domain} is not a domain of this organization, so signing up with ${a.email} will not join it.`);
      else if (!org.selfSignup) note(`Warning: self sign-up is off, so signing up with ${a.email} will not join it; turn it on with --self-signup on.`);
    }
  }
}

function parseOnOff(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw usage(`${flag} takes on or off, not "${value}"`);
}

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('create, change and list organizations');

  operatorCommand(org, 'create', 'create an organization; prints its id')
    .requiredOption('--name <name>', 'the organization name')
    .option('--plan <plan>', `plan: ${PLANS}`, 'paid')
    .option('--domain <domain>', 'a verified email domain of the organization (repeatable)', collect, [])
    .option('--admin <email>', 'make this person admin, now or when they sign up (repeatable)', collect, [])
    .option('--no-self-signup', 'people of its domains cannot join by signing up (admins add them)')
    .option('--json', 'print the organization as JSON')
    .action(async (opts: DbFlags & { name: string; plan: string; domain: string[]; admin: string[]; selfSignup: boolean; json?: boolean }) => {
      const result = await runOperator(opts, (ctx) =>
        doCreateOrg(ctx, { name: opts.name, plan: opts.plan, domains: opts.domain, admins: opts.admin, selfSignup: opts.selfSignup }, CLI_ACTOR),
      );
      if (opts.json) printJson(result);
      else {
        print(result.org.id);
        reportAdmins(result.admins, result.org);
      }
    });

  operatorCommand(org, 'set', 'change an organization')
    .requiredOption('--org <id|domain>', 'the organization, by id or by one of its domains')
    .option('--name <name>', 'a new name')
    .option('--plan <plan>', `a new plan: ${PLANS}`)
    .option('--add-domain <domain>', 'claim a verified email domain (repeatable)', collect, [])
    .option('--remove-domain <domain>', 'release a domain (repeatable)', collect, [])
    .option('--self-signup <on|off>', 'whether people of its domains may join by signing up')
    .option('--admin <email>', 'make this person admin, now or when they sign up (repeatable)', collect, [])
    .option('--json', 'print the organization as JSON')
    .action(
      async (
        opts: DbFlags & { org: string; name?: string; plan?: string; addDomain: string[]; removeDomain: string[]; selfSignup?: string; admin: string[]; json?: boolean },
      ) => {
        const selfSignup = parseOnOff(opts.selfSignup, '--self-signup');
        const nothing = opts.name === undefined && opts.plan === undefined && selfSignup === undefined && !opts.addDomain.length && !opts.removeDomain.length && !opts.admin.length;
        if (nothing) throw usage('Nothing to change: give --name, --plan, --add-domain, --remove-domain, --self-signup or --admin');
        const result = await runOperator(opts, async (ctx) => {
          const row = await resolveOrg(ctx.db, opts.org);
          return doUpdateOrg(
            ctx,
            row.id,
            { name: opts.name, plan: opts.plan, addDomains: opts.addDomain, removeDomains: opts.removeDomain, selfSignup, admins: opts.admin },
            CLI_ACTOR,
          );
        });
        if (opts.json) printJson(result);
        else {
          const o = result.org;
          print(`Updated ${o.id}: ${o.name}, plan ${o.plan}, domains ${o.domains.join(', ') || '(none)'}, self sign-up ${o.selfSignup ? 'on' : 'off'}`);
          reportAdmins(result.admins, result.org);
        }
      },
    );

  operatorCommand(org, 'list', 'list the organizations')
    .option('--json', 'print JSON')
    .action(async (opts: DbFlags & { json?: boolean }) => {
      const orgs = await runOperator(opts, (ctx) => listOrgSummaries(ctx.db));
      if (opts.json) return printJson(orgs);
      if (orgs.length === 0) return print('No organizations yet.');
      print(
        table(
          ['ID', 'NAME', 'PLAN', 'USERS', 'DOMAINS'],
          orgs.map((o) => [o.id, o.name, o.plan, String(o.users), o.domains.join(',')]),
        ),
      );
    });
}
