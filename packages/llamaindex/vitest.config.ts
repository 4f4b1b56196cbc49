import { defineConfig } from 'vitest/config';

// Unit tests load the tiny model (fixtures/tiny-m3) into onnxruntime: a few seconds on a busy machine.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
