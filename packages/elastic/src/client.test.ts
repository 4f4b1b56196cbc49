import { Client, errors as errors8 } from '@elastic/elasticsearch';
import { Client as Client9, errors as errors9 } from '@elastic/elasticsearch-9';
import { AbortedError, BackendError, InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { ElasticStore } from './elastic-store.js';
import { toM3Error } from './errors.js';

const collection = { name: 'clients', denseDimension: 8 };

describe('the client the store takes', () => {
  it("is the caller's own, of major 8 or 9, handed back as it is (typed as what was passed)", async () => {
    const eight = new Client({ node: 'http://127.0.0.1:1' });
    const nine = new Client9({ node: 'http://127.0.0.1:1' });
    const store8 = new ElasticStore({ client: eight, collection });
    const store9 = new ElasticStore({ client: nine, collection });
    expect(store8.client).toBe(eight);
    const same: Client9 = store9.client;
    expect(same).toBe(nine);
    await store9.close(); // the caller's client stays open: close() leaves it alone
    await Promise.all([eight.close(), nine.close()]);
  });

  it('without a client or node or ES_URL is an InvalidInputError', () => {
    const saved = process.env.ES_URL;
    delete process.env.ES_URL;
    try {
      expect(() => new ElasticStore({ collection })).toThrow(InvalidInputError);
    } finally {
      if (saved !== undefined) process.env.ES_URL = saved;
    }
  });
});

describe('toM3Error', () => {
  it.each([
    ['8.x', errors8],
    ['9.x', errors9],
  ] as const)("maps the %s client's errors alike", (_major, errors) => {
    const meta = {
      statusCode: 429,
      body: { error: { type: 'es_rejected_execution_exception', reason: 'queue full' } },
    };
    const overloaded = toM3Error(new errors.ResponseError(meta as never), 'search');
    expect(
      BackendError.isInstance(overloaded) &&
        overloaded.statusCode === 429 &&
        overloaded.isRetryable,
    ).toBe(true);
    expect(overloaded.message).toContain('es_rejected_execution_exception: queue full');
    const connection = toM3Error(new errors.ConnectionError('refused'), 'search');
    expect(BackendError.isInstance(connection) && connection.isRetryable).toBe(true);
    expect(
      AbortedError.isInstance(toM3Error(new errors.RequestAbortedError('aborted'), 'search')),
    ).toBe(true);
  });
});
