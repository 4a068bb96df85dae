import { afterAll, beforeAll, describe } from 'vitest';
import { testDatabases, type TestDbKind } from './databases.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

/**
 * Runs a suite once per test database, each with its own server started before and closed
 * after. Tests inside make their own data (factories), so they do not depend on each other.
 */
export function describeEachDb(name: string, fn: (get: () => TestServer, kind: TestDbKind) => void, opts: TestServerOptions = {}): void {
  for (const kind of testDatabases()) {
    describe(`${name} [${kind}]`, () => {
      let server: TestServer | undefined;
      beforeAll(async () => {
        server = await startTestServer(kind, opts);
      });
      afterAll(async () => {
        await server?.close();
      });
      fn(() => {
        if (!server) throw new Error('test server not started');
        return server;
      }, kind);
    });
  }
}
