import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import {
  resolveBoolean,
  resolveEnum,
  resolveNumberInRange,
  resolvePositiveInteger,
} from './resolve-option.js';
import { resolveWriteOptions } from './write-settings.js';

function errorOf(work: () => unknown): InvalidInputError {
  try {
    work();
  } catch (error) {
    expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
    return error as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('option resolution', () => {
  it('applies the default only when the option is absent', () => {
    expect(resolvePositiveInteger('a', undefined, 7)).toBe(7);
    expect(resolvePositiveInteger('a', 3, 7)).toBe(3);
    expect(resolveEnum('mode', undefined, 'auto', ['auto', 'client'])).toBe('auto');
    expect(resolveBoolean('flag', false, true)).toBe(false);
  });

  it('names the option, the backend and the value in the error', () => {
    const error = errorOf(() =>
      resolvePositiveInteger('write.concurrency', 0, 2, { backend: 'qdrant' }),
    );
    expect(error.message).toMatch(
      /^qdrant: option write\.concurrency must be an integer >= 1, got 0/,
    );
    expect(error.item).toBe('write.concurrency');
  });

  it('rejects non-integers, NaN, strings and values out of range', () => {
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', -1, null]) {
      errorOf(() => resolvePositiveInteger('n', value, 1));
    }
    expect(errorOf(() => resolvePositiveInteger('n', 65, 1, { max: 64 })).message).toMatch(
      />= 1 and <= 64, got 65/,
    );
    expect(
      errorOf(() => resolveNumberInRange('k', 0, 1, { min: 0, minExclusive: true })).message,
    ).toMatch(/a finite number > 0/);
    expect(resolveNumberInRange('k', 0.5, 1, { min: 0, minExclusive: true })).toBe(0.5);
  });

  it('rejects an enum value outside the list, listing the allowed ones', () => {
    expect(
      errorOf(() => resolveEnum('fusion.rrf', 'magic', 'auto', ['auto', 'native', 'client']))
        .message,
    ).toMatch(/fusion\.rrf must be one of "auto", "native", "client", got "magic"/);
    errorOf(() => resolveBoolean('keepAlive', 'yes', true));
  });
});

describe('resolveWriteOptions', () => {
  const defaults = { maxBatchRecords: 500, maxBatchBytes: 1_000_000, concurrency: 2 };

  it('fills every default, retry included', () => {
    expect(resolveWriteOptions(undefined, defaults)).toEqual({
      ...defaults,
      retry: { retries: 4, baseDelayMs: 200, maxDelayMs: 5_000 },
    });
    expect(
      resolveWriteOptions({ concurrency: 4, retry: { retries: 0 } }, defaults).retry.retries,
    ).toBe(0);
  });

  it('names the nested option that is wrong', () => {
    expect(
      errorOf(() =>
        resolveWriteOptions({ retry: { retries: -1 } }, defaults, { backend: 'milvus' }),
      ).message,
    ).toMatch(/milvus: option write\.retry\.retries/);
    expect(errorOf(() => resolveWriteOptions({ maxBatchBytes: 0 }, defaults)).message).toMatch(
      /write\.maxBatchBytes/,
    );
    expect(
      errorOf(() => resolveWriteOptions({ retry: { baseDelayMs: 100, maxDelayMs: 50 } }, defaults))
        .message,
    ).toMatch(/write\.retry\.maxDelayMs must be a finite number >= 100/);
  });
});
