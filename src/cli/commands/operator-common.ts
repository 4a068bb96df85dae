import type { Command } from 'commander';
import type { AppContext } from '../../server/context.js';
import { AppError } from '../../server/http/errors.js';
import { terminalJson } from '../terminal.js';
import { CliError, printErr, withDbFlags, withOperatorContext, type DbFlags } from '../util.js';

/** Exit codes of operator commands: 1 when the action failed, 2 when the command was misused. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function usage(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/**
 * Runs an operator action against the deployment's database. Errors of the shared services
 * become one-line CLI errors: bad input (400) is a usage error, anything else a failure.
 */
export async function runOperator<T>(flags: DbFlags, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  try {
    return await withOperatorContext(flags, (ctx) => fn(ctx));
  } catch (err) {
    if (err instanceof AppError) throw new CliError(err.message, err.status === 400 ? EXIT_USAGE : EXIT_FAILED);
    throw err;
  }
}

/** A leaf command with the database flags every operator command takes. */
export function operatorCommand(parent: Command, spec: string, description: string): Command {
  return withDbFlags(parent.command(spec).description(description));
}

/** For repeatable options: `--domain a --domain b`. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function printJson(value: unknown): void {
  process.stdout.write(terminalJson(value) + '\n');
}

/** Notes for the person at the terminal, kept off stdout so that scripts can read the output. */
export function note(line: string): void {
  printErr(line);
}

/** Left-aligned columns for list output. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
