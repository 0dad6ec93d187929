import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails fast without a Redis at REDIS_URL; starts (and stops) the Redis Cluster of the cluster tests.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores on the dev machine and in CI: integration tests spawn servers and processes.
    maxWorkers: 2,
  },
});
