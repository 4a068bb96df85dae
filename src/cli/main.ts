import { Command, CommanderError } from 'commander';
import { PARLEY_VERSION } from '../server/version.js';
import { registerClientCommands } from './commands/client.js';
import { registerOperatorCommands } from './commands/operator.js';
import { registerServeCommands } from './commands/serve.js';
import { CliError, printErr } from './util.js';

/**
 * `parley`: the operator's commands (they act on the database directly, with or without a
 * server running) and a user client that goes through the HTTP API like the web client.
 */
export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Parley: messaging across organizations, found by email address')
    .version(PARLEY_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerServeCommands(program);
  registerOperatorCommands(program);
  registerClientCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with 0. Usage errors (an unknown command or option, a missing
      // argument) were already printed by commander, which gives them 1: the contract is 2 for
      // bad usage, 1 for an action that failed.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliError) {
      printErr(`parley: ${err.message}`);
      return err.exitCode;
    }
    printErr(`parley: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}
