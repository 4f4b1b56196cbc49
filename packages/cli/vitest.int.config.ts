import { defineConfig } from 'vitest/config';

// Integration tests talk to real servers: run files one at a time, with generous timeouts.
export default defineConfig({
  test: {
    include: ['**/*.int.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
