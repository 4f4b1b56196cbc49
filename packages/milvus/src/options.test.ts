import { InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { resolveMilvusOptions, type MilvusStoreOptions } from './options.js';

const collection = { name: 'c', denseDimension: 1024 };
const resolve = (options: Partial<MilvusStoreOptions>) =>
  resolveMilvusOptions({ collection, ...options });

function rejection(options: Record<string, unknown>): InvalidInputError {
  try {
    resolve(options as Partial<MilvusStoreOptions>);
  } catch (error) {
    expect(InvalidInputError.isInstance(error)).toBe(true);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('resolveMilvusOptions', () => {
  it('fills the shared write defaults: rows a request by a float budget', () => {
    expect(resolve({}).write).toEqual({
      maxBatchBytes: 16_000_000,
      maxBatchRecords: 32,
      concurrency: 2,
      retry: { retries: 4, baseDelayMs: 200, maxDelayMs: 5_000 },
    });
    expect(
      resolveMilvusOptions({ collection: { name: 'c', denseDimension: 32 } }).write.maxBatchRecords,
    ).toBe(1_024);
    expect(
      resolveMilvusOptions({ collection: { name: 'c', denseDimension: 65_536 } }).write
        .maxBatchRecords,
    ).toBe(1);
    expect(
      resolveMilvusOptions({ collection: { name: 'c', denseDimension: 1 } }).write.maxBatchRecords,
    ).toBe(16_384);
  });

  it('keeps the shared write names', () => {
    const write = resolve({
      write: {
        maxBatchRecords: 7,
        concurrency: 3,
        retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 2 },
      },
    }).write;
    expect(write).toMatchObject({
      maxBatchRecords: 7,
      concurrency: 3,
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 2 },
    });
  });

  it('throws InvalidInputError naming the option', () => {
    expect(rejection({ write: { concurrency: 0 } }).item).toBe('write.concurrency');
    expect(rejection({ write: { maxBatchRecords: 1.5 } }).item).toBe('write.maxBatchRecords');
    expect(rejection({ write: { retry: { retries: -1 } } }).item).toBe('write.retry.retries');
    expect(rejection({ timeoutMs: Number.NaN }).item).toBe('timeoutMs');
    expect(rejection({ colbertSearchDepth: 20_000 }).item).toBe('colbertSearchDepth');
    expect(rejection({ nativeRrf: 'yes' }).item).toBe('nativeRrf');
    expect(rejection({ denseIndex: { type: '' } }).item).toBe('denseIndex');
    expect(rejection({ colbertIndex: { type: 'FLAT', params: 3 } }).item).toBe('colbertIndex');
  });

  it('says where an option of the old flat names went', () => {
    const error = rejection({ rowsPerRequest: 16 });
    expect(error.item).toBe('rowsPerRequest');
    expect(error.message).toContain('write.maxBatchRecords');
    expect(rejection({ retry: { retries: 1 } }).message).toContain('write.retry');
  });
});
