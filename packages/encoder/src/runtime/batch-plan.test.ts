import { describe, expect, it } from 'vitest';
import { planBatches } from './batch-plan.js';

describe('planBatches', () => {
  it('sorts longest first and fills each batch up to the padded-token budget', () => {
    const lengths = [5, 100, 7, 50, 6, 49, 8];
    const batches = planBatches(lengths, { batchTokens: 100, maxBatchSize: 64 });
    expect(batches.map((batch) => batch.indices)).toEqual([[1], [3, 5], [6, 2, 4, 0]]);
    expect(batches.map((batch) => batch.sequenceLength)).toEqual([100, 50, 8]);
    for (const batch of batches) expect(batch.indices.length * batch.sequenceLength).toBeLessThanOrEqual(100);
  });

  it('covers every text once, caps the count, and gives an over-long text a batch of its own', () => {
    const lengths = Array.from({ length: 1000 }, (_, index) => 3 + ((index * 7919) % 300));
    const batches = planBatches([...lengths, 5000], { batchTokens: 2048, maxBatchSize: 16 });
    const seen = batches.flatMap((batch) => batch.indices).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 1001 }, (_, index) => index));
    expect(batches[0]).toEqual({ indices: [1000], sequenceLength: 5000 });
    expect(Math.max(...batches.map((batch) => batch.indices.length))).toBeLessThanOrEqual(16);
    // Sorting keeps padding small: under 5% of the padded tokens here.
    const real = lengths.reduce((a, b) => a + b, 0) + 5000;
    const padded = batches.reduce((sum, batch) => sum + batch.indices.length * batch.sequenceLength, 0);
    expect(padded / real).toBeLessThan(1.05);
  });

  it('keeps equal lengths in input order', () => {
    expect(planBatches([4, 4, 4], { batchTokens: 8, maxBatchSize: 8 }).map((batch) => batch.indices)).toEqual([[0, 1], [2]]);
  });
});
