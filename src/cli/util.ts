import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { sqliteFile } from '../server/db/index.js';
import { resolveConfig, type Config } from '../server/config.js';
import type { AppContext } from '../server/context.js';
import { createContext, createLogger } from '../server/server.js';

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
 * Opens the deployment's database (migrating it) for an operator command, runs `fn`, closes.
 * Logs go to stderr at warn level so the command's own output stays clean.
 */
export async function withOperatorContext<T>(flags: DbFlags, fn: (ctx: AppContext, config: Config) => Promise<T>): Promise<T> {
  const config = resolveConfig({ dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, webDir: null }, { ...process.env, PARLEY_REDIS_URL: undefined });
  // A SQLite file that is not there is a mistyped --data-dir far more often than a deployment
  // never started: acting on a new, empty database would report success and change nothing.
  const file = sqliteFile(config.databaseUrl);
  if (file && !existsSync(file)) {
    throw new CliError(`No Parley database at ${file}: check --data-dir / --database-url, or create it with \`parley migrate\` (\`parley serve\` does too)`);
  }
  const log = createLogger(process.env.PARLEY_LOG_LEVEL ?? 'warn');
  const ctx = await createContext(config, log);
  try {
    return await fn(ctx, config);
  } finally {
    await ctx.lifecycle.close();
  }
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}
