import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { M3Encoder } from '../m3-encoder.js';
import { TINY_MODEL, fixtureTexts } from '../test-support/fixtures.js';

const texts = fixtureTexts().map((entry) => entry.text);

describe('where onnxruntime runs', () => {
  it('gives the same numbers in the worker thread and in the calling thread', async () => {
    const results = [];
    for (const inferenceThread of ['worker', 'main'] as const) {
      const encoder = await M3Encoder.load(TINY_MODEL, { threads: 1, inferenceThread });
      results.push(await encoder.encode(texts, { maxLength: 512 }));
      await encoder.close();
    }
    const [worker, main] = results;
    expect(worker!.length).toBe(texts.length);
    worker!.forEach((result, index) => {
      const other = main![index]!;
      expect(Array.from(result.dense!)).toEqual(Array.from(other.dense!));
      expect(Array.from(result.colbert!.data)).toEqual(Array.from(other.colbert!.data));
      expect(Array.from(result.lexical!.values)).toEqual(Array.from(other.lexical!.values));
    });
  }, 60_000);

  it('keeps the event loop turning while a batch runs in the worker', async () => {
    // Long texts make batches of a second or more even on the tiny model; on the calling thread no
    // timer could fire during one. This took 37-47 s on the shared, busy 2-core machine: the
    // timeout is four times that, not a guess at an idle machine's speed.
    const long = Array.from({ length: 4000 }, (_, i) => `word${i % 97}`).join(' ');
    const encoder = await M3Encoder.load(TINY_MODEL, { threads: 1 });
    let last = performance.now();
    let longestGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 2);
    let inferenceMs = 0;
    let longestBatchMs = 0;
    try {
      await encoder.encode([long, long], {
        onProgress: (progress) => {
          longestBatchMs = Math.max(longestBatchMs, progress.inferenceMs - inferenceMs);
          inferenceMs = progress.inferenceMs;
        },
      });
    } finally {
      clearInterval(timer);
      await encoder.close();
    }
    expect(longestBatchMs).toBeGreaterThan(300);
    expect(longestGap).toBeLessThan(longestBatchMs / 3);
  }, 180_000);

  it('lets a process that never closes its encoder exit once its work is done', () => {
    const encoderModule = new URL('../../dist/index.js', import.meta.url).href;
    const script = `
      import { M3Encoder } from ${JSON.stringify(encoderModule)};
      const encoder = await M3Encoder.load(${JSON.stringify(TINY_MODEL)}, { threads: 1 });
      const [result] = await encoder.encode(['no close() follows']);
      console.log(result.dense.length);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.stderr).not.toMatch(/Error/);
    expect(child.stdout.trim()).toBe('32');
    expect(child.status).toBe(0);
  }, 40_000);

  // onnxruntime's telemetry parsed /proc/self/cmdline with a recursive regex: a long argument
  // killed the process with SIGSEGV (worker at ~14.5 KB of arguments, main thread at ~30 KB).
  it.each(['worker', 'main'] as const)(
    'survives a 100,000-character process argument (%s thread)',
    (inferenceThread) => {
      const encoderModule = new URL('../../dist/index.js', import.meta.url).href;
      const script = `
      import { M3Encoder } from ${JSON.stringify(encoderModule)};
      const encoder = await M3Encoder.load(${JSON.stringify(TINY_MODEL)}, { threads: 1, inferenceThread: '${inferenceThread}' });
      const [result] = await encoder.encode([process.argv.at(-1).slice(0, 200)]);
      await encoder.close();
      console.log(result.dense.length, process.env.ORT_DISABLE_TELEMETRY);
    `;
      // Not inherited from this process, where an earlier load has set it.
      const { ORT_DISABLE_TELEMETRY: _inherited, ...env } = process.env;
      const child = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', script, 'x'.repeat(100_000)],
        {
          cwd: fileURLToPath(new URL('.', import.meta.url)),
          encoding: 'utf8',
          env,
          timeout: 30_000,
        },
      );
      expect(child.error).toBeUndefined();
      expect(child.signal).toBeNull();
      expect(child.stderr).not.toMatch(/Error/);
      expect(child.stdout.trim()).toBe('32 1');
      expect(child.status).toBe(0);
    },
    40_000,
  );
});
