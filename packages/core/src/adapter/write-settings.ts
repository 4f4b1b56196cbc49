import {
  resolveNumberInRange,
  resolvePositiveInteger,
  type OptionScope,
} from './resolve-option.js';

/** Retry of a failed write request: exponential backoff with jitter (core's withRetry). */
export interface AdapterRetryOptions {
  /** Attempts after the first. */
  readonly retries?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** The `write` option every adapter takes, under the same names. */
export interface AdapterWriteOptions {
  /** Most records in one write request. */
  readonly maxBatchRecords?: number;
  /** Largest write request body, in bytes. */
  readonly maxBatchBytes?: number;
  /** Write requests in flight at once. */
  readonly concurrency?: number;
  readonly retry?: AdapterRetryOptions;
}

export interface ResolvedAdapterRetryOptions {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface ResolvedAdapterWriteOptions {
  readonly maxBatchRecords: number;
  readonly maxBatchBytes: number;
  readonly concurrency: number;
  readonly retry: ResolvedAdapterRetryOptions;
}

/** Core's retry defaults (withRetry): 4 retries, 200 ms doubling, at most 5 s. */
export const DEFAULT_RETRY: ResolvedAdapterRetryOptions = {
  retries: 4,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

/**
 * Resolves the shared `write` option against an adapter's defaults; every value checked once,
 * with an InvalidInputError naming `write.<option>`.
 */
export function resolveWriteOptions(
  input: AdapterWriteOptions | undefined,
  defaults: Omit<ResolvedAdapterWriteOptions, 'retry'> & {
    readonly retry?: ResolvedAdapterRetryOptions;
  },
  scope: OptionScope = {},
): ResolvedAdapterWriteOptions {
  return {
    maxBatchRecords: resolvePositiveInteger(
      'write.maxBatchRecords',
      input?.maxBatchRecords,
      defaults.maxBatchRecords,
      scope,
    ),
    maxBatchBytes: resolvePositiveInteger(
      'write.maxBatchBytes',
      input?.maxBatchBytes,
      defaults.maxBatchBytes,
      scope,
    ),
    concurrency: resolvePositiveInteger(
      'write.concurrency',
      input?.concurrency,
      defaults.concurrency,
      { ...scope, max: 64 },
    ),
    retry: resolveRetryOptions(input?.retry, defaults.retry ?? DEFAULT_RETRY, scope),
  };
}

export function resolveRetryOptions(
  input: AdapterRetryOptions | undefined,
  defaults: ResolvedAdapterRetryOptions = DEFAULT_RETRY,
  scope: OptionScope = {},
): ResolvedAdapterRetryOptions {
  const retries = resolveNumberInRange('write.retry.retries', input?.retries, defaults.retries, {
    ...scope,
    min: 0,
    max: 100,
    integer: true,
  });
  const baseDelayMs = resolveNumberInRange(
    'write.retry.baseDelayMs',
    input?.baseDelayMs,
    defaults.baseDelayMs,
    { ...scope, min: 0, max: 600_000 },
  );
  const maxDelayMs = resolveNumberInRange(
    'write.retry.maxDelayMs',
    input?.maxDelayMs,
    Math.max(defaults.maxDelayMs, baseDelayMs),
    {
      ...scope,
      min: baseDelayMs,
      max: 3_600_000,
    },
  );
  return { retries, baseDelayMs, maxDelayMs };
}
