import { throwIfAborted, withRetry, type M3Error, type ResolvedCollectionSpec } from '@m3kit/core';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { toM3Error } from './errors.js';
import type { ResolvedQdrantOptions } from './options.js';

/** Ids per delete or retrieve request (ids are small; this keeps bodies far below any limit). */
export const IDS_PER_REQUEST = 1_000;

/**
 * Every request the adapter sends goes through here: abort, error translation and retries live in
 * this one place, so no module calls the client bare.
 */
export class QdrantTransport {
  constructor(
    readonly client: QdrantClient,
    private readonly retry: RetryPolicy,
  ) {}

  /** One request with retries on retryable failures (all Qdrant reads and idempotent writes). */
  retrying<T>(operation: string, work: (client: QdrantClient) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return withRetry(() => this.call(operation, work, signal), { ...this.retry, ...(signal ? { signal } : {}) });
  }

  /**
   * One request, its errors translated. The client's own timeout replaces any AbortSignal on the
   * underlying fetch, so an abort stops waiting here (the request itself may still complete).
   */
  async call<T>(operation: string, work: (client: QdrantClient) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    throwIfAborted(signal, operation);
    try {
      return await abortable(work(this.client), signal, operation);
    } catch (error) {
      throw toM3Error(error, operation);
    }
  }
}

export interface RetryPolicy {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
}

/** What the adapter's modules share: the collection, the resolved options and the transport. */
export interface QdrantContext {
  readonly collection: ResolvedCollectionSpec;
  readonly options: ResolvedQdrantOptions;
  readonly transport: QdrantTransport;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      rejectAborted(reject, signal, operation);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function rejectAborted(reject: (error: M3Error) => void, signal: AbortSignal, operation: string): void {
  try {
    throwIfAborted(signal, operation);
  } catch (error) {
    reject(error as M3Error);
  }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
