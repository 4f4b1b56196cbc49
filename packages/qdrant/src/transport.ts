import type { ResolvedCollectionSpec } from '@m3kit/core';
import {
  abortable,
  throwIfAborted,
  withRetry,
  type ResolvedAdapterRetryOptions,
} from '@m3kit/core/adapter';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { toM3Error } from './errors.js';
import type { ResolvedQdrantOptions } from './options.js';

export { chunk } from '@m3kit/core/adapter';

/** Ids per delete or retrieve request (ids are small; this keeps bodies far below any limit). */
export const IDS_PER_REQUEST = 1_000;

/**
 * Every request the adapter sends goes through here: abort, error translation and retries live in
 * this one place, so no module calls the client bare.
 */
export class QdrantTransport {
  constructor(
    readonly client: QdrantClient,
    private readonly retry: ResolvedAdapterRetryOptions,
  ) {}

  /** One request with retries on retryable failures (all Qdrant reads and idempotent writes). */
  retrying<T>(
    operation: string,
    work: (client: QdrantClient) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return withRetry(() => this.call(operation, work, signal), {
      ...this.retry,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * One request, its errors translated. The client's own timeout replaces any AbortSignal on the
   * underlying fetch, so an abort stops waiting here (the request itself may still complete).
   */
  async call<T>(
    operation: string,
    work: (client: QdrantClient) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    throwIfAborted(signal, operation);
    try {
      return await abortable(work(this.client), signal, operation);
    } catch (error) {
      throw toM3Error(error, operation);
    }
  }
}

/** What the adapter's modules share: the collection, the resolved options and the transport. */
export interface QdrantContext {
  readonly collection: ResolvedCollectionSpec;
  readonly options: ResolvedQdrantOptions;
  readonly transport: QdrantTransport;
}
