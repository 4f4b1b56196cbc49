import { BackendError, InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { toM3Error } from './errors.js';

function apiError(status: number, data: unknown): Error {
  return Object.assign(new Error('Bad Request'), {
    status,
    statusText: 'x',
    data,
    headers: new Headers(),
  });
}

describe('toM3Error', () => {
  it('keeps m3kit errors as they are', () => {
    const error = new InvalidInputError('bad');
    expect(toM3Error(error, 'upsert')).toBe(error);
  });

  it('turns HTTP errors into BackendError with the server message, status and retryability', () => {
    const bad = toM3Error(
      apiError(400, { status: { error: 'Wrong input: Vector dimension error' } }),
      'upsert',
    );
    expect(BackendError.isInstance(bad) && bad.statusCode).toBe(400);
    expect(BackendError.isInstance(bad) && bad.isRetryable).toBe(false);
    expect(bad.message).toBe('qdrant: upsert: HTTP 400: Wrong input: Vector dimension error');
    for (const status of [429, 500, 502, 503, 504]) {
      const error = toM3Error(apiError(status, ''), 'query');
      expect(BackendError.isInstance(error) && error.isRetryable, String(status)).toBe(true);
    }
    const original = apiError(404, {
      status: { error: 'Not found: Collection `x` does not exist!' },
    });
    expect(toM3Error(original, 'count').cause).toBe(original);
  });

  it("reads the status of the client's unexpected-response error from its message", () => {
    const error = toM3Error(
      Object.assign(
        new Error('Unexpected Response: 503 (Service Unavailable)\nRaw response content:'),
        { name: 'QdrantClientUnexpectedResponseError' },
      ),
      'query',
    );
    expect(BackendError.isInstance(error) && error.statusCode).toBe(503);
  });

  it('retries timeouts, rate limits and refused connections; not unknown errors', () => {
    const timeout = toM3Error(
      Object.assign(new Error('aborted'), { name: 'QdrantClientTimeoutError' }),
      'query',
    );
    expect(BackendError.isInstance(timeout) && timeout.isRetryable).toBe(true);
    const refused = toM3Error(
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      }),
      'query',
    );
    expect(BackendError.isInstance(refused) && refused.isRetryable).toBe(true);
    expect(refused.message).toBe('qdrant: query: cannot reach the server (ECONNREFUSED)');
    const unknown = toM3Error(new Error('something odd\nsecond line'), 'query');
    expect(BackendError.isInstance(unknown) && unknown.isRetryable).toBe(false);
    expect(unknown.message).toBe('qdrant: query: something odd');
  });
});
