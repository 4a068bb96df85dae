import type { Command } from 'commander';
import { Email } from '../../shared/api/auth.js';
import type { User } from '../../shared/api/shapes.js';
import { findLiveUserByEmail } from '../../server/accounts/store.js';
import { normalizeEmail } from '../../server/accounts/tokens.js';
import { CLI_ACTOR } from '../../server/audit/service.js';
import type { AppContext } from '../../server/context.js';
import { AppError } from '../../server/http/errors.js';
import { doDeactivateUser, doDeleteUser, doReactivateUser } from '../../server/orgs/members-service.js';
import { CliError, print, type DbFlags } from '../util.js';
import { EXIT_FAILED, operatorCommand, printJson, runOperator, usage } from './operator-common.js';

type Action = 'deactivate' | 'reactivate' | 'delete';

const DONE: Record<Action, string> = { deactivate: 'Deactivated', reactivate: 'Reactivated', delete: 'Deleted' };

/** The same services as the org admin API, acting as the operator (no actor, `via: cli`). */
async function act(ctx: AppContext, action: Action, email: string, force: boolean): Promise<User> {
  const user = await findLiveUserByEmail(ctx.db, normalizeEmail(email));
  if (!user) throw new CliError(`No user has the email ${email}`, EXIT_FAILED);
  const target = { orgId: user.org_id, userId: user.id };
  try {
    if (action === 'deactivate') return await doDeactivateUser(ctx, target, CLI_ACTOR, { allowLastAdmin: force });
    if (action === 'reactivate') return await doReactivateUser(ctx, target, CLI_ACTOR);
    return await doDeleteUser(ctx, target, CLI_ACTOR, { allowLastAdmin: force });
  } catch (err) {
    if (err instanceof AppError && err.code === 'last_admin') {
      throw new CliError(`${email} is the last active admin of "${user.org_name}"; make someone else admin first (parley org set --admin), or pass --force`, EXIT_FAILED);
    }
    throw err;
  }
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('deactivate, reactivate or delete a user by email');
  const describe: Record<Action, string> = {
    deactivate: 'sign the user out everywhere; they cannot sign in nor be messaged until reactivated',
    reactivate: 'let a deactivated user sign in again',
    delete: 'delete the user: their name stays on past messages, their email is free for a new account',
  };
  for (const action of ['deactivate', 'reactivate', 'delete'] as const) {
    const cmd = operatorCommand(user, `${action} <email>`, describe[action]).option('--json', 'print the user as JSON');
    if (action !== 'reactivate') cmd.option('--force', "allow it for the org's last active admin");
    cmd.action(async (email: string, opts: DbFlags & { json?: boolean; force?: boolean }) => {
      if (!Email.safeParse(email).success) throw usage(`"${email}" is not a valid email address`);
      const result = await runOperator(opts, (ctx) => act(ctx, action, email.trim(), Boolean(opts.force)));
      if (opts.json) printJson(result);
      else print(`${DONE[action]} ${result.email} (${result.id}) of ${result.orgName}: now ${result.status}`);
    });
  }
}
