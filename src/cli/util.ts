import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { sqliteFile } from '../server/db/index.js';
import { ConfigError, resolveConfig, type Config } from '../server/config.js';
import type { AppContext } from '../server/context.js';
import { createContext, createLogger } from '../server/server.js';
import { checkOperatorDatabase } from './schema-check.js';
import { terminalSafe } from './terminal.js';

/** An error the CLI reports as one line on stderr with a non-zero exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface DbFlags {
  dataDir?: string;
  databaseUrl?: string;
}

/** `--data-dir` and `--database-url`, as every operator command takes them. */
export function withDbFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory (SQLite database and files)').env('PARLEY_DATA_DIR'))
    .addOption(new Option('--database-url <url>', 'postgres://… or a SQLite file').env('PARLEY_DATABASE_URL'));
}

/**
 * Opens the deployment's database for an operator command, runs `fn`, closes. The database must
 * already be Parley's and up to date (`checkOperatorDatabase`): only `migrate` and `serve`
 * change the schema. Logs go to stderr at warn level so the command's own output stays clean.
 */
export async function withOperatorContext<T>(flags: DbFlags, fn: (ctx: AppContext, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  try {
    config = resolveConfig({ dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, webDir: null }, { ...process.env, PARLEY_REDIS_URL: undefined });
  } catch (err) {
    // A mistyped --database-url is bad usage, as it is for `serve` and `migrate`.
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  // A SQLite file that is not there is a mistyped --data-dir far more often than a deployment
  // never started: acting on a new, empty database would report success and change nothing.
  const file = sqliteFile(config.databaseUrl);
  if (file && !existsSync(file)) {
    throw new CliError(`No Parley database at ${file}: check --data-dir / --database-url, or create it with \`parley migrate\` (\`parley serve\` does too)`);
  }
  await checkOperatorDatabase(config.databaseUrl);
  const log = createLogger(process.env.PARLEY_LOG_LEVEL ?? 'warn');
  // createContext migrates, which after the check above finds nothing left to do.
  const ctx = await createContext(config, log);
  try {
    return await fn(ctx, config);
  } finally {
    await ctx.lifecycle.close();
  }
}

/**
 * Writes lines to stdout. Every line goes through `terminalSafe`: much of what the CLI prints
 * (names, messages, titles, file names, mail subjects) was written by other people, and a
 * control character among it would drive the reader's terminal.
 */
export function print(text = ''): void {
  process.stdout.write(text.split('\n').map(terminalSafe).join('\n') + '\n');
}

/** One line on stderr (a note, a warning, an error), made safe for the terminal as `print` does. */
export function printErr(line: string): void {
  process.stderr.write(terminalSafe(line) + '\n');
}
