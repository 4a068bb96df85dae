import { defineConfig } from 'vitest/config';

// Server suites open real ports, databases and SMTP sinks; keep parallelism modest on small
// machines so that timing-sensitive suites (realtime, crash recovery) stay reliable.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}', 'web/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './vitest.summary.ts'],
  },
});
