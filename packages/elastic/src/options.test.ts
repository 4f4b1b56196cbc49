import { InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { elasticCapabilities } from './capabilities.js';
import { resolveOptions, type ElasticStoreOptions } from './options.js';

const collection = { name: 'options', denseDimension: 8 };

describe('resolveOptions', () => {
  it('fills every default once', () => {
    const resolved = resolveOptions({ collection });
    expect(resolved.write).toEqual({
      maxBatchRecords: 500,
      maxBatchBytes: 8 * 1024 * 1024,
      concurrency: 2,
      retry: { retries: 4, baseDelayMs: 200, maxDelayMs: 5000 },
    });
    expect(resolved.layout).toMatchObject({
      dense: { type: 'int8_hnsw' },
      colbertEncoding: 'int8',
      colbertMean: true,
    });
    expect(resolved).toMatchObject({
      scoring: 'exact',
      refresh: 'wait_for',
      numCandidatesFactor: 2,
      rescoreOversample: 2,
      colbertKernel: 'auto',
    });
    expect(resolved.colbertThreads).toBeGreaterThanOrEqual(1);
    expect(resolved.timeoutMs).toBeUndefined();
  });

  it.each([
    [{ write: { concurrency: 0 } }, 'write.concurrency'],
    [{ write: { maxBatchRecords: 1.5 } }, 'write.maxBatchRecords'],
    [{ write: { retry: { retries: -1 } } }, 'write.retry.retries'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ scoring: 'magic' }, 'scoring'],
    [{ denseIndex: { type: 'nope' } }, 'denseIndex.type'],
    [{ numCandidatesFactor: 0.5 }, 'numCandidatesFactor'],
    [{ colbertEncoding: 'int4' }, 'colbertEncoding'],
  ])('refuses %j with an InvalidInputError naming %s', (bad, option) => {
    const attempt = (): unknown =>
      resolveOptions({ collection, ...(bad as Partial<ElasticStoreOptions>) });
    expect(attempt).toThrow(InvalidInputError);
    expect(attempt).toThrow(option);
  });
});

describe('elasticCapabilities', () => {
  it('declares server fusion and its tolerance only for scoring: server, exact dense only on flat indices', () => {
    const exact = elasticCapabilities(resolveOptions({ collection }));
    expect(exact.nativeFusion).toEqual([]);
    expect(exact.scoreTolerance).toBe(1e-3);
    expect(exact.accuracy.dense).toEqual({ minRecallAt10: 0.9 });
    const server = elasticCapabilities(
      resolveOptions({ collection, scoring: 'server', denseIndex: { type: 'flat' } }),
    );
    expect(server.nativeFusion).toEqual(['weighted']);
    expect(server.scoreTolerance).toBe(4e-3);
    expect(server.accuracy.dense).toBe('exact');
  });
});
