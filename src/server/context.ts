import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db, DialectName } from './db/index.js';
import type { Database } from './db/schema.js';
import type { Metrics } from './http/metrics.js';
import type { Mailer } from './mail/mailer.js';
import type { EventBus } from './realtime/bus.js';
import type { DeploymentSettings } from './settings/service.js';

/**
 * Everything a service needs, passed explicitly (no globals), so tests can build as many
 * independent servers as they like in one process.
 */
export interface AppContext {
  config: Config;
  db: Kysely<Database>;
  dialect: DialectName;
  dbHandle: Db;
  log: Logger;
  mailer: Mailer;
  events: EventBus;
  settings: DeploymentSettings;
  metrics: Metrics;
  /** Cleanups run at shutdown, last registered first. */
  lifecycle: Lifecycle;
}

export class Lifecycle {
  private readonly closers: (() => Promise<void> | void)[] = [];

  constructor(private readonly log: Logger) {}

  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn);
  }

  async close(): Promise<void> {
    while (this.closers.length > 0) {
      const fn = this.closers.pop()!;
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err }, 'error during shutdown');
      }
    }
  }
}

/** A transaction or the database itself: store functions accept either. */
export type Executor = Kysely<Database>;
