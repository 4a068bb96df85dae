import { Option, type Command } from 'commander';
import { ConfigError, resolveConfig } from '../../server/config.js';
import { migrateToLatest, openDatabase } from '../../server/db/index.js';
import { startServer } from '../../server/server.js';
import { CliError, print, withDbFlags } from '../util.js';

export function registerServeCommands(program: Command): void {
  withDbFlags(
    program
      .command('serve')
      .description('run a Parley node (HTTP API, WebSocket events and the web client)')
      .addOption(new Option('--port <port>', 'port to listen on').env('PARLEY_PORT'))
      .addOption(new Option('--host <host>', 'address to listen on').env('PARLEY_HOST'))
      .addOption(new Option('--redis-url <url>', 'Redis for events across nodes').env('PARLEY_REDIS_URL'))
      .addOption(new Option('--smtp-url <url>', 'SMTP server for outgoing mail').env('PARLEY_SMTP_URL'))
      .addOption(new Option('--public-url <url>', 'URL people reach this deployment at (used in emails)').env('PARLEY_PUBLIC_URL')),
  ).action(async (opts: { port?: string; host?: string; dataDir?: string; databaseUrl?: string; redisUrl?: string; smtpUrl?: string; publicUrl?: string }) => {
    let config;
    try {
      config = resolveConfig(opts);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, 2);
      throw err;
    }
    const server = await startServer(config);
    server.ctx.log.info({ url: server.url, database: server.ctx.dialect, redis: Boolean(config.redisUrl) }, `Parley is listening on ${server.url}`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.ctx.log.info({ signal }, 'shutting down');
      // A stuck connection must not keep the process alive forever.
      setTimeout(() => process.exit(1), 10_000).unref();
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    await new Promise<never>(() => undefined);
  });

  withDbFlags(program.command('migrate').description('bring the database schema up to date')).action(async (opts: { dataDir?: string; databaseUrl?: string }) => {
    const config = resolveConfig({ dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, webDir: null });
    const db = openDatabase(config.databaseUrl);
    try {
      const result = await migrateToLatest(db.kysely);
      const ran = result.results ?? [];
      print(ran.length === 0 ? 'The database is up to date.' : ran.map((r) => `${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}`).join('\n'));
    } finally {
      await db.close();
    }
  });
}
