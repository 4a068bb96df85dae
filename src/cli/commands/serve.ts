import { mkdirSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { ConfigError, resolveConfig, type Config, type ConfigInput } from '../../server/config.js';
import { migrateToLatest, openDatabase } from '../../server/db/index.js';
import { startServer } from '../../server/server.js';
import { CliError, print, withDbFlags } from '../util.js';

/** Exit code of a command refused because of a bad setting (flag or PARLEY_* variable). */
export const EXIT_BAD_CONFIG = 2;

/** A bad setting ends the command with one line on stderr and exit code 2, never a stack. */
function configOrExit(input: ConfigInput): Config {
  try {
    return resolveConfig(input);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT_BAD_CONFIG);
    throw err;
  }
}

/** How long in-flight requests get to finish after SIGTERM before the process gives up on them. */
const SHUTDOWN_GRACE_MS = 10_000;

export function registerServeCommands(program: Command): void {
  withDbFlags(
    program
      .command('serve')
      .description('run a Parley node (HTTP API, WebSocket events and the web client)')
      .addOption(new Option('--port <port>', 'port to listen on (default 8080)').env('PARLEY_PORT'))
      .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)').env('PARLEY_HOST'))
      .addOption(new Option('--redis-url <url>', 'Redis for events across nodes').env('PARLEY_REDIS_URL'))
      .addOption(new Option('--smtp-url <url>', 'SMTP server for outgoing mail').env('PARLEY_SMTP_URL'))
      .addOption(new Option('--public-url <url>', 'URL people reach this deployment at (used in emails)').env('PARLEY_PUBLIC_URL')),
  ).action(async (opts: { port?: string; host?: string; dataDir?: string; databaseUrl?: string; redisUrl?: string; smtpUrl?: string; publicUrl?: string }) => {
    const config = configOrExit(opts);
    try {
      // Uploaded files live here even when the database is PostgreSQL.
      mkdirSync(config.dataDir, { recursive: true });
    } catch (err) {
      throw new CliError(`Cannot create the data directory ${config.dataDir}: ${(err as Error).message}`);
    }
    const server = await startServer(config);
    server.ctx.log.info({ url: server.url, database: server.ctx.dialect, redis: Boolean(config.redisUrl) }, `Parley is listening on ${server.url}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.ctx.log.info({ signal }, 'shutting down');
      // A stuck connection must not keep the process alive forever.
      setTimeout(() => {
        server.ctx.log.error('shutdown took too long; exiting');
        process.exit(1);
      }, SHUTDOWN_GRACE_MS).unref();
      // Stops accepting, tells WebSockets 1001, lets in-flight requests finish, flushes writes.
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          server.ctx.log.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    await new Promise<never>(() => undefined);
  });

  withDbFlags(program.command('migrate').description('bring the database schema up to date')).action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
    const config = configOrExit({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, webDir: null });
    const db = openDatabase(config.databaseUrl);
    try {
      const result = await migrateToLatest(db.kysely);
      for (const r of result.results ?? []) print(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`);
      print('The database is up to date.');
    } finally {
      await db.close();
    }
  });
}
