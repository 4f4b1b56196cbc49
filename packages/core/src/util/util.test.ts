import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors/aborted-error.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { batchBySize } from './batching.js';
import { mapWithConcurrency } from './concurrency.js';
import { withRetry } from './retry.js';

describe('batchBySize', () => {
  it('cuts by bytes and by count, and gives an oversize item a batch of its own', () => {
    const batches = batchBySize([5, 5, 5, 50, 1, 1, 1], (n) => n, { maxBytes: 12, maxItems: 2 });
    expect(batches).toEqual([[5, 5], [5], [50], [1, 1], [1]]);
  });
});

describe('withRetry', () => {
  it('retries retryable backend errors, then succeeds', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3)
          throw new BackendError({
            backend: 'x',
            message: 'busy',
            statusCode: 503,
            isRetryable: true,
          });
        return 'ok';
      },
      { baseDelayMs: 1 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('never retries invalid input, and gives up after the last retry', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw new InvalidInputError('bad');
        },
        { baseDelayMs: 1 },
      ),
    ).rejects.toThrow('bad');
    expect(calls).toBe(1);
    calls = 0;
    const busy = new BackendError({ backend: 'x', message: 'down', isRetryable: true });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw busy;
        },
        { retries: 2, baseDelayMs: 1 },
      ),
    ).rejects.toBe(busy);
    expect(calls).toBe(3);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const busy = new BackendError({ backend: 'x', message: 'down', isRetryable: true });
    const pending = withRetry(
      async () => {
        throw busy;
      },
      { baseDelayMs: 10_000, signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 10);
    const error = await pending.catch((e: unknown) => e);
    expect(AbortedError.isInstance(error)).toBe(true);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps order and the concurrency limit', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([1, 2, 3, 4, 5, 6], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5 * (7 - n)));
      running--;
      return n * 10;
    });
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
  });

  it('rethrows the first failure and starts nothing new after it', async () => {
    const started: number[] = [];
    const error = await mapWithConcurrency([1, 2, 3, 4], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
      return n;
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/boom/);
    expect(started).toEqual([1, 2]);
  });
});
