import { defineConfig } from 'vitest/config';

// Sized for a busy machine: the slowest unit tests do seconds of work, which a loaded 2-core
// runner can stretch past vitest's 5 s default; the assertions count work, never time.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
