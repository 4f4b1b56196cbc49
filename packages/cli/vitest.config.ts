import { defineConfig } from 'vitest/config';

// The process tests (kill -9, Ctrl-C, exit codes) run the built binary: build it once first.
export default defineConfig({
  test: {
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
