import pino from 'pino';
import { ParleyClient } from '../../shared/client.js';
import { resolveConfig, type Config } from '../config.js';
import type { AppContext } from '../context.js';
import { startServer, type ParleyServer } from '../server.js';
import { createTestDatabase, type TestDatabase, type TestDbKind } from './databases.js';
import { SmtpSink } from './smtp-sink.js';

export interface TestServer {
  kind: TestDbKind;
  server: ParleyServer;
  ctx: AppContext;
  url: string;
  smtp: SmtpSink;
  db: TestDatabase;
  /** A client with no session. */
  anon(): ParleyClient;
  /** A client signed in with `token`. */
  client(token: string): ParleyClient;
  close(): Promise<void>;
}

export interface TestServerOptions {
  config?: Partial<Config>;
  /** Share one database between several servers (multi-node tests). */
  database?: TestDatabase;
}

/**
 * A real Parley node on a random port, with a database of its own (SQLite file or a fresh
 * PostgreSQL database) and a real SMTP sink receiving its mail.
 */
export async function startTestServer(kind: TestDbKind, opts: TestServerOptions = {}): Promise<TestServer> {
  const db = opts.database ?? (await createTestDatabase(kind));
  const smtp = await new SmtpSink().start();
  const config: Config = {
    ...resolveConfig({ port: 0, dataDir: db.dir, databaseUrl: db.url, smtpUrl: smtp.url, webDir: null }, {}),
    ...opts.config,
  };
  const log = pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' });
  const server = await startServer(config, { log });
  // Links in mails point at this node.
  server.ctx.config.publicUrl = server.url;
  server.ctx.settings.invalidate();
  return {
    kind,
    server,
    ctx: server.ctx,
    url: server.url,
    smtp,
    db,
    anon: () => new ParleyClient({ baseUrl: server.url, clientName: 'test/1.0.0' }),
    client: (token) => new ParleyClient({ baseUrl: server.url, token, clientName: 'test/1.0.0' }),
    close: async () => {
      await server.close();
      await smtp.stop();
      if (!opts.database) await db.drop();
    },
  };
}
