import { AbortedError } from '../errors/aborted-error.js';
import { BackendError } from '../errors/backend-error.js';
import type { M3Error } from '../errors/m3-error.js';
import type { WriteFailure, WriteReport } from '../store/store-v1.js';
import { batchBySize } from '../util/batching.js';
import { withRetry } from '../util/retry.js';
import { fallbackM3Error } from './to-m3-error.js';
import type { ResolvedAdapterWriteOptions } from './write-settings.js';

/** One unit of a write (a prepared record, a delete): its id and what the request carries. */
export interface WriteItem<T> {
  readonly id: string;
  readonly value: T;
}

export interface WriteBatchesOptions<T> {
  readonly backend: string;
  /** For messages: `upsert`, `delete`. */
  readonly operation: string;
  /** Unique ids (prepareWrites / prepareDeletes make them so). */
  readonly items: readonly WriteItem<T>[];
  readonly settings: ResolvedAdapterWriteOptions;
  /** Request bytes of an item, for batching by `maxBatchBytes` (default: count only). */
  readonly sizeOf?: (item: WriteItem<T>) => number;
  /**
   * Sends one batch. Throwing fails (or, when retryable, resends) the whole batch; returning
   * per-id failures (a bulk response's rejected items) fails just those ids, and those whose
   * error is a retryable BackendError are sent again, alone, with backoff.
   */
  readonly send: (
    batch: readonly WriteItem<T>[],
    signal: AbortSignal | undefined,
    // biome-ignore lint/suspicious/noConfusingVoidType: void lets a sender with no per-id failures be a plain async function that returns nothing.
  ) => Promise<readonly WriteFailure[] | void>;
  readonly signal?: AbortSignal | undefined;
  /** Maps a thrown non-M3Error (default: a non-retryable BackendError). */
  readonly toError?: (error: unknown) => M3Error;
}

/**
 * Batched, concurrent writes with one report: batches by bytes and count, at most `concurrency`
 * requests in flight, each retried with core's withRetry. Every id ends in `written` or
 * `failed`, in input order. An abort stops between batches: batches not yet sent fail with an
 * AbortedError, and the report still says which ids were written.
 */
export async function writeBatches<T>(options: WriteBatchesOptions<T>): Promise<WriteReport> {
  const { settings, signal } = options;
  const batches = batchBySize(options.items, options.sizeOf ?? (() => 0), {
    maxBytes: settings.maxBatchBytes,
    maxItems: settings.maxBatchRecords,
  });
  const results: Array<WriteReport | undefined> = new Array(batches.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length && !signal?.aborted) {
      const index = next++;
      results[index] = await sendBatch(batches[index]!, options);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(settings.concurrency, batches.length)) }, worker),
  );
  const written: string[] = [];
  const failed: WriteFailure[] = [];
  batches.forEach((batch, index) => {
    const result = results[index] ?? abortedBatch(batch, options);
    written.push(...result.written);
    failed.push(...result.failed);
  });
  return { written, failed };
}

/** Thrown inside the retry loop when some ids came back with retryable failures. */
class RetryableItems extends Error {
  constructor(readonly failures: readonly WriteFailure[]) {
    super(`${failures.length} items to retry`);
  }
}

async function sendBatch<T>(
  batch: readonly WriteItem<T>[],
  options: WriteBatchesOptions<T>,
): Promise<WriteReport> {
  const toError =
    options.toError ??
    ((error: unknown) => fallbackM3Error(error, options.backend, options.operation));
  const written: string[] = [];
  const failed: WriteFailure[] = [];
  let pending = batch;
  try {
    await withRetry(
      async () => {
        let failures: readonly WriteFailure[];
        try {
          failures = (await options.send(pending, options.signal)) ?? [];
        } catch (error) {
          throw toError(error);
        }
        const byId = new Map(failures.map((failure) => [failure.id, failure]));
        const again: WriteItem<T>[] = [];
        for (const item of pending) {
          const failure = byId.get(item.id);
          if (failure === undefined) written.push(item.id);
          else if (isRetryable(failure.error)) again.push(item);
          else failed.push(failure);
        }
        pending = again;
        if (again.length > 0) throw new RetryableItems(again.map((item) => byId.get(item.id)!));
      },
      {
        ...options.settings.retry,
        ...(options.signal ? { signal: options.signal } : {}),
        isRetryable: (error) => error instanceof RetryableItems || isRetryable(error),
      },
    );
  } catch (error) {
    if (error instanceof RetryableItems) failed.push(...error.failures);
    else {
      const m3Error = toError(error);
      failed.push(...pending.map((item) => ({ id: item.id, error: m3Error })));
    }
  }
  return { written, failed };
}

function isRetryable(error: unknown): boolean {
  return BackendError.isInstance(error) && error.isRetryable;
}

function abortedBatch<T>(
  batch: readonly WriteItem<T>[],
  options: WriteBatchesOptions<T>,
): WriteReport {
  const error = new AbortedError(options.operation, options.signal?.reason);
  return { written: [], failed: batch.map((item) => ({ id: item.id, error })) };
}
