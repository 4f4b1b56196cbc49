import { InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { resolveQdrantOptions, type QdrantStoreOptions } from './options.js';

const collection = { name: 'c', denseDimension: 8 };
const resolve = (options: Partial<QdrantStoreOptions>) =>
  resolveQdrantOptions({ collection, ...options });

function rejection(options: Partial<QdrantStoreOptions>): InvalidInputError {
  try {
    resolve(options);
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('resolveQdrantOptions', () => {
  it('fills the shared write defaults', () => {
    expect(resolve({}).write).toEqual({
      maxBatchBytes: 16 * 1024 * 1024,
      maxBatchRecords: 512,
      concurrency: 2,
      retry: { retries: 4, baseDelayMs: 200, maxDelayMs: 5_000 },
    });
  });

  it('keeps the shared write names', () => {
    const write = resolve({
      write: {
        maxBatchRecords: 7,
        concurrency: 3,
        retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 2 },
      },
    }).write;
    expect(write.maxBatchRecords).toBe(7);
    expect(write.retry).toEqual({ retries: 0, baseDelayMs: 1, maxDelayMs: 2 });
  });

  it('throws InvalidInputError naming the option, never TypeError', () => {
    expect(rejection({ vectorNames: { dense: 'x', sparse: 'x' } }).item).toBe('vectorNames');
    expect(rejection({ payloadKeys: { id: 'a.b' } }).item).toBe('payloadKeys.id');
    expect(rejection({ write: { concurrency: 0 } }).item).toBe('write.concurrency');
    expect(rejection({ write: { retry: { retries: -1 } } }).item).toBe('write.retry.retries');
    expect(rejection({ colbert: { maxFloats: 1.5 } }).item).toBe('colbert.maxFloats');
    expect(rejection({ timeoutMs: Number.NaN }).item).toBe('timeoutMs');
    expect(rejection({ pointIdNamespace: 'not-a-uuid' }).item).toBe('pointIdNamespace');
    expect(rejection({ serverVersion: 'latest' }).item).toBe('serverVersion');
  });

  it("rejects values outside an option's set", () => {
    expect(rejection({ fusion: { rrf: 'magic' as never } }).message).toContain(
      '"auto", "native", "client"',
    );
    expect(rejection({ search: { colbertCandidates: 'all' as never } }).item).toBe(
      'search.colbertCandidates',
    );
    expect(rejection({ colbert: { overflow: 'drop' as never } }).item).toBe('colbert.overflow');
    expect(rejection({ dense: { quantization: { quantile: 0.1 } } }).item).toBe(
      'dense.quantization',
    );
  });

  it('says where a renamed write option went', () => {
    const error = rejection({ write: { maxBatchPoints: 10 } as never });
    expect(error.message).toContain('write.maxBatchRecords');
    expect(rejection({ write: { retries: 2 } as never }).message).toContain('write.retry.retries');
  });
});
