import { defineConfig } from 'vitest/config';

// Integration tests talk to real servers: run files one at a time, with generous timeouts.
export default defineConfig({
  test: {
    include: ['**/*.int.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
