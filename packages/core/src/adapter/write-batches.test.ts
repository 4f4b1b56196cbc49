import { describe, expect, it } from 'vitest';
import { AbortedError } from '../errors/aborted-error.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { WriteFailure } from '../store/store-v1.js';
import { writeBatches, type WriteItem } from './write-batches.js';
import type { ResolvedAdapterWriteOptions } from './write-settings.js';

const settings: ResolvedAdapterWriteOptions = {
  maxBatchRecords: 2,
  maxBatchBytes: 1_000,
  concurrency: 2,
  retry: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 },
};
const items = (n: number): WriteItem<number>[] =>
  Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, value: i }));
const busy = (): BackendError =>
  new BackendError({ backend: 'kit', message: 'busy', statusCode: 503, isRetryable: true });

describe('writeBatches', () => {
  it('sends batches by count and bytes, at most `concurrency` at once, and reports every id', async () => {
    let running = 0;
    let peak = 0;
    const sent: number[][] = [];
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(7),
      settings,
      sizeOf: (item) => (item.value === 4 ? 2_000 : 10),
      send: async (batch) => {
        running++;
        peak = Math.max(peak, running);
        sent.push(batch.map((item) => item.value));
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      },
    });
    expect(peak).toBe(2);
    expect(sent.map((b) => b.length).sort()).toEqual([1, 2, 2, 2]);
    expect(sent).toContainEqual([4]);
    expect(report.written).toEqual(items(7).map((i) => i.id));
    expect(report.failed).toEqual([]);
  });

  it('retries a retryable failure of the whole batch, then succeeds', async () => {
    let calls = 0;
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(2),
      settings,
      send: async () => {
        if (++calls < 3) throw busy();
      },
    });
    expect(calls).toBe(3);
    expect(report.written).toEqual(['id-0', 'id-1']);
  });

  it('resends only the ids that failed retryably; a non-retryable id fails at once', async () => {
    const attempts = new Map<string, number>();
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(2),
      settings,
      send: async (batch) => {
        const failures: WriteFailure[] = [];
        for (const item of batch) {
          const n = (attempts.get(item.id) ?? 0) + 1;
          attempts.set(item.id, n);
          if (item.id === 'id-0' && n < 3) failures.push({ id: item.id, error: busy() });
          if (item.id === 'id-1')
            failures.push({ id: item.id, error: new InvalidInputError('mapping rejects it') });
        }
        return failures;
      },
    });
    expect(attempts.get('id-0')).toBe(3);
    expect(attempts.get('id-1')).toBe(1);
    expect(report.written).toEqual(['id-0']);
    expect(report.failed.map((f) => [f.id, f.error.message])).toEqual([
      ['id-1', 'mapping rejects it'],
    ]);
  });

  it('fails the whole batch with the last error once retries run out, other batches unaffected', async () => {
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(4),
      settings: { ...settings, concurrency: 1 },
      send: async (batch) => {
        if (batch[0]!.id === 'id-2') throw busy();
      },
    });
    expect(report.written).toEqual(['id-0', 'id-1']);
    expect(report.failed.map((f) => f.id)).toEqual(['id-2', 'id-3']);
    expect(BackendError.isInstance(report.failed[0]!.error)).toBe(true);
  });

  it('maps a thrown foreign error to a non-retryable BackendError and does not retry it', async () => {
    let calls = 0;
    const report = await writeBatches({
      backend: 'kit',
      operation: 'delete',
      items: items(1),
      settings,
      send: async () => {
        calls++;
        throw new TypeError('socket hang up');
      },
    });
    expect(calls).toBe(1);
    expect(report.failed[0]!.error.message).toMatch(/kit: delete failed: socket hang up/);
  });

  it('stops between batches when aborted: the report says what was written and what was not', async () => {
    const controller = new AbortController();
    let sent = 0;
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(10),
      settings: { ...settings, concurrency: 1 },
      signal: controller.signal,
      send: async () => {
        if (++sent === 2) controller.abort(new Error('user cancelled'));
      },
    });
    expect(sent).toBe(2);
    expect(report.written).toEqual(['id-0', 'id-1', 'id-2', 'id-3']);
    expect(report.failed.map((f) => f.id)).toEqual([
      'id-4',
      'id-5',
      'id-6',
      'id-7',
      'id-8',
      'id-9',
    ]);
    for (const failure of report.failed) expect(AbortedError.isInstance(failure.error)).toBe(true);
  });

  it('stops waiting for a retry when aborted, failing the pending ids with AbortedError', async () => {
    const controller = new AbortController();
    const pending = writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: items(1),
      settings: { ...settings, retry: { retries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 } },
      signal: controller.signal,
      send: async () => {
        throw busy();
      },
    });
    setTimeout(() => controller.abort(), 10);
    const report = await pending;
    expect(report.written).toEqual([]);
    expect(AbortedError.isInstance(report.failed[0]!.error)).toBe(true);
  });

  it('writes nothing and sends nothing for no items', async () => {
    let calls = 0;
    const report = await writeBatches({
      backend: 'kit',
      operation: 'upsert',
      items: [],
      settings,
      send: async () => void calls++,
    });
    expect(report).toEqual({ written: [], failed: [] });
    expect(calls).toBe(0);
  });
});
