import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { Lifecycle, type AppContext } from './context.js';
import { probeCaseFolding } from './db/fold.js';
import { migrateToLatest, openDatabase } from './db/index.js';
import { Metrics } from './http/metrics.js';
import { Mailer } from './mail/mailer.js';
import { createEventBus } from './realtime/create-bus.js';
import { DeploymentSettings } from './settings/service.js';

/**
 * A query the database leaves unanswered this long fails (503) and its connection is ended: no
 * statement of a chat server's requests rightly runs for 15 s, and a stalled database must not
 * hold requests for as long as it stalls. Migrations, which may rightly run longer, run before.
 */
const QUERY_DEADLINE_MS = 15_000;

export interface ParleyServer {
  ctx: AppContext;
  app: FastifyInstance;
  /** The base URL it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'parley' }, redact: ['req.headers.authorization', 'req.headers.cookie'] });
}

/** Opens the database (migrating it), wires the services, but does not listen. */
export async function createContext(config: Config, log: Logger = createLogger(config.logLevel)): Promise<AppContext> {
  const dbHandle = openDatabase(config.databaseUrl, { poolSize: config.dbPoolSize });
  await migrateToLatest(dbHandle.kysely);
  await probeCaseFolding(dbHandle.kysely);
  dbHandle.limitQueryTime(QUERY_DEADLINE_MS);
  const lifecycle = new Lifecycle(log);
  const ctx: AppContext = {
    config,
    db: dbHandle.kysely,
    dialect: dbHandle.dialect,
    dbHandle,
    log,
    mailer: new Mailer(dbHandle.kysely, log, config.smtpUrl),
    events: await createEventBus(config, log),
    settings: new DeploymentSettings(dbHandle.kysely),
    metrics: new Metrics(),
    lifecycle,
  };
  // Closed last registered first: domain cleanups, then mail, events, and the database last.
  lifecycle.onClose(() => dbHandle.close());
  lifecycle.onClose(() => ctx.events.close());
  lifecycle.onClose(() => ctx.mailer.close());
  const stopWatching = ctx.metrics.watchEventLoop();
  lifecycle.onClose(stopWatching);
  return ctx;
}

/** Starts a node: database, services, HTTP and WebSocket, listening on the configured port. */
export async function startServer(config: Config, opts: { log?: Logger } = {}): Promise<ParleyServer> {
  const ctx = await createContext(config, opts.log);
  let built: FastifyInstance | null = null;
  try {
    built = await buildApp(ctx);
    await built.listen({ port: config.port, host: config.host });
  } catch (err) {
    // A node that cannot start (port taken, bad plugin) must not leave the database pool, the
    // Redis connection or timers open: they would keep the process alive with nothing serving.
    await built?.close().catch(() => undefined);
    await ctx.lifecycle.close();
    throw err;
  }
  const app = built;
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  return {
    ctx,
    app,
    port,
    url: `http://${host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        // Stop accepting, let in-flight requests finish, then release what the services hold.
        await app.close();
        await ctx.lifecycle.close();
      })()),
  };
}
