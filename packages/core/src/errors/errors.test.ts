import { describe, expect, it } from 'vitest';
import { BackendError, DimensionMismatchError, InvalidInputError, M3Error } from './index.js';

describe('error tree', () => {
  it('recognises errors by marker, also across package copies', () => {
    const error = new DimensionMismatchError({
      what: 'dense vector',
      expected: 1024,
      actual: 768,
      id: 'doc-7',
    });
    expect(error.message).toBe('dense vector has dimension 768, expected 1024 (item: doc-7)');
    expect(DimensionMismatchError.isInstance(error)).toBe(true);
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect(M3Error.isInstance(error)).toBe(true);
    expect(BackendError.isInstance(error)).toBe(false);
    // A plain object carrying the shared marker, as another copy of the package would create.
    const foreign = Object.defineProperty({}, Symbol.for('m3kit.error.backend'), { value: true });
    expect(BackendError.isInstance(foreign)).toBe(true);
  });

  it('keeps the cause and says whether a retry may help', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new BackendError({
      backend: 'qdrant',
      message: 'unreachable',
      isRetryable: true,
      cause,
    });
    expect(error.cause).toBe(cause);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toBe('qdrant: unreachable');
  });
});
