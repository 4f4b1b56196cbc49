import { describe, expect, it } from 'vitest';
import { planBatches } from './batch-plan.js';

const padded = (batches: ReturnType<typeof planBatches>) =>
  batches.reduce((sum, batch) => sum + batch.indices.length * batch.sequenceLength, 0);

describe('planBatches', () => {
  it('sorts longest first and batches texts of similar length up to the padded-token budget', () => {
    const lengths = [15, 2000, 18, 400, 12, 395, 20, 14];
    const batches = planBatches(lengths, { batchTokens: 1000, maxBatchSize: 64 });
    expect(batches.map((batch) => batch.indices)).toEqual([[1], [3, 5], [6, 2, 0, 7, 4]]);
    expect(batches.map((batch) => batch.sequenceLength)).toEqual([2000, 400, 20]);
  });

  it('never pads a much shorter text to a long one, even when the budget would allow it', () => {
    const batches = planBatches([2000, 900, 400, 120], { batchTokens: 16384, maxBatchSize: 256 });
    expect(batches.map((batch) => batch.indices)).toEqual([[0], [1], [2], [3]]);
  });

  it('fills a batch of short texts up to the budget and the count cap', () => {
    const lengths = Array.from({ length: 100 }, () => 16);
    expect(
      planBatches(lengths, { batchTokens: 320, maxBatchSize: 64 }).map(
        (batch) => batch.indices.length,
      ),
    ).toEqual([20, 20, 20, 20, 20]);
    expect(
      planBatches(lengths, { batchTokens: 16384, maxBatchSize: 64 }).map(
        (batch) => batch.indices.length,
      ),
    ).toEqual([64, 36]);
  });

  it('covers every text once, gives an over-long text a batch of its own, and keeps padding small', () => {
    const lengths = Array.from({ length: 1000 }, (_, index) => 3 + ((index * 7919) % 300));
    const batches = planBatches([...lengths, 5000], { batchTokens: 2048, maxBatchSize: 16 });
    const seen = batches.flatMap((batch) => batch.indices).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1001 }, (_, index) => index));
    expect(batches[0]).toEqual({ indices: [1000], sequenceLength: 5000 });
    expect(Math.max(...batches.map((batch) => batch.indices.length))).toBeLessThanOrEqual(16);
    for (const batch of batches)
      expect(
        batch.indices.length === 1 || batch.indices.length * batch.sequenceLength <= 2048,
      ).toBe(true);
    const real = lengths.reduce((a, b) => a + b, 0) + 5000;
    expect(padded(batches) / real).toBeLessThan(1.05);
  });

  it('keeps two full-length texts apart: their attention scores would not fit together', () => {
    expect(
      planBatches([8192, 8192], { batchTokens: 16384, maxBatchSize: 256 }).map(
        (batch) => batch.indices,
      ),
    ).toEqual([[0], [1]]);
    expect(
      planBatches([2000, 2000], { batchTokens: 16384, maxBatchSize: 256 }).map(
        (batch) => batch.indices,
      ),
    ).toEqual([[0, 1]]);
  });

  it('keeps equal lengths in input order', () => {
    expect(
      planBatches([4, 4, 4], { batchTokens: 8, maxBatchSize: 8 }).map((batch) => batch.indices),
    ).toEqual([[0, 1], [2]]);
  });
});
