import { defineConfig } from 'vitest/config';

// Integration tests start real HTTP servers against real stores: one file at a time.
export default defineConfig({
  test: {
    include: ['**/*.int.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
