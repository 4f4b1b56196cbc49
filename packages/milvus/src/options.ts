import {
  InvalidInputError,
  resolveCollectionSpec,
  type CollectionSpec,
  type ModeAccuracy,
  type QueryMode,
  type ResolvedCollectionSpec,
} from '@m3kit/core';
import type { MilvusConnection } from './client.js';
import { FLAT_INDEX, type IndexChoice } from './collection-layout.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import type { WriteSettings } from './write-batches.js';

/** Backoff of retried requests (every read and write: writes are idempotent by id). */
export interface RetryOptions {
  /** Attempts after the first (default 4). */
  readonly retries?: number;
  /** First delay (ms, default 200), doubled per attempt with jitter. */
  readonly baseDelayMs?: number;
  /** Longest delay (ms, default 5,000). */
  readonly maxDelayMs?: number;
}

export interface MilvusStoreOptions extends MilvusConnection {
  readonly collection: CollectionSpec;
  /** Dense vector index; default FLAT (exact). Milvus Lite offers FLAT and IVF_FLAT only. */
  readonly denseIndex?: IndexChoice;
  /** ColBERT token-vector index; default FLAT (exact). */
  readonly colbertIndex?: IndexChoice;
  /** Write batching and retries: the same names in every m3kit adapter. */
  readonly write?: {
    /** Largest write batch, as core's JSON estimate of its records (default 16 MB). */
    readonly maxBatchBytes?: number;
    /**
     * Rows per insert request (default: 32,768 floats' worth, 32 rows of 1024 dimensions). The
     * Node SDK 2.5.x assembled a vector column with `column = column.concat(row)` per row, CPU
     * quadratic in the request's floats: over an ingest of 11,200 ColBERT rows 32 rows a request
     * used 2.1 client CPU-seconds fewer than 128 at the same wall time. SDK 3.0.6 appends in place
     * and 32 still wins: 3,072 ColBERT rows of 1024 dimensions took 3.6-3.7 client CPU-seconds at
     * 32 rows against 4.1-4.5 at 256, 18-21 s wall against 22-23 s (Milvus Lite 2.5.1, 2 shared
     * cores). Small vectors get more rows a request, since each request costs a round trip.
     */
    readonly maxBatchRecords?: number;
    /** Write batches in flight at once (default 2). */
    readonly concurrency?: number;
    /** Retries of retryable failures (unavailable, deadline exceeded, rate limits), with jittered backoff. */
    readonly retry?: RetryOptions;
  };
  /** Per-request deadline when the store makes its own client (ms; default: the SDK's). */
  readonly timeoutMs?: number;
  /** First depth of ColBERT's grouped token search (default 1,024; see colbert-search.ts). */
  readonly colbertSearchDepth?: number;
  /**
   * Run `rrf` over dense + sparse as one hybridSearch with RRFRanker(k) (default true). Queries
   * with ColBERT, or a k Milvus does not take (it needs an integer from 1 to 16,383), fuse on the client.
   */
  readonly nativeRrf?: boolean;
  /** Overrides of the declared accuracy, e.g. a measured recall for an approximate index. */
  readonly accuracy?: Partial<Record<QueryMode, ModeAccuracy>>;
}

/** Every option with its default, resolved once. */
export interface ResolvedMilvusOptions {
  readonly collection: ResolvedCollectionSpec;
  readonly denseIndex: IndexChoice;
  readonly colbertIndex: IndexChoice;
  readonly write: WriteSettings & { readonly retry: Required<RetryOptions> };
  readonly timeoutMs: number | undefined;
  readonly colbertSearchDepth: number;
  readonly nativeRrf: boolean;
  readonly accuracy: Partial<Record<QueryMode, ModeAccuracy>> | undefined;
}

const DEFAULT_MAX_BATCH_BYTES = 16_000_000;
/** Floats a write request carries by default (see `write.maxBatchRecords`). */
const FLOATS_PER_REQUEST = 32_768;

/**
 * Every option resolved and validated once, at construction: a bad value throws an
 * InvalidInputError naming the option (`item`), before any request is sent.
 */
export function resolveMilvusOptions(options: MilvusStoreOptions): ResolvedMilvusOptions {
  rejectRenamed(options);
  const collection = resolveCollectionSpec(options.collection);
  const write = options.write ?? {};
  const retry = write.retry ?? {};
  const rowsByFloats = Math.min(MILVUS_MAX_LIMIT, Math.max(1, Math.floor(FLOATS_PER_REQUEST / collection.denseDimension)));
  return {
    collection,
    denseIndex: indexChoice(options.denseIndex, 'denseIndex'),
    colbertIndex: indexChoice(options.colbertIndex, 'colbertIndex'),
    write: {
      maxBatchBytes: integer(write.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, 1, Number.MAX_SAFE_INTEGER, 'write.maxBatchBytes'),
      maxBatchRecords: integer(write.maxBatchRecords, rowsByFloats, 1, MILVUS_MAX_LIMIT, 'write.maxBatchRecords'),
      concurrency: integer(write.concurrency, 2, 1, 64, 'write.concurrency'),
      retry: {
        retries: integer(retry.retries, 4, 0, 100, 'write.retry.retries'),
        baseDelayMs: integer(retry.baseDelayMs, 200, 0, 600_000, 'write.retry.baseDelayMs'),
        maxDelayMs: integer(retry.maxDelayMs, 5_000, 0, 3_600_000, 'write.retry.maxDelayMs'),
      },
    },
    timeoutMs: options.timeoutMs === undefined ? undefined : integer(options.timeoutMs, 0, 1, 86_400_000, 'timeoutMs'),
    colbertSearchDepth: integer(options.colbertSearchDepth, 1_024, 1, MILVUS_MAX_LIMIT, 'colbertSearchDepth'),
    nativeRrf: boolean(options.nativeRrf, true, 'nativeRrf'),
    accuracy: options.accuracy,
  };
}

function invalid(problem: string, option: string): never {
  throw new InvalidInputError(`milvus: option ${option} ${problem}`, { item: option });
}

/** Names used before the adapters shared one set: said plainly instead of silently ignored. */
function rejectRenamed(options: MilvusStoreOptions): void {
  const given = options as unknown as Record<string, unknown>;
  const renamed: Record<string, string> = {
    rowsPerRequest: 'write.maxBatchRecords',
    maxBatchBytes: 'write.maxBatchBytes',
    concurrency: 'write.concurrency',
    retry: 'write.retry',
  };
  for (const [old, now] of Object.entries(renamed)) {
    if (given[old] !== undefined) invalid(`was renamed to ${now}`, old);
  }
}

function integer(value: number | undefined, fallback: number, min: number, max: number, option: string): number {
  const result = value ?? fallback;
  if (typeof result !== 'number' || !Number.isInteger(result) || result < min || result > max) {
    invalid(`must be an integer from ${min} to ${max}, got ${String(value)}`, option);
  }
  return result;
}

function boolean(value: boolean | undefined, fallback: boolean, option: string): boolean {
  if (value !== undefined && typeof value !== 'boolean') invalid(`must be true or false, got ${String(value)}`, option);
  return value ?? fallback;
}

function indexChoice(value: IndexChoice | undefined, option: string): IndexChoice {
  if (value === undefined) return FLAT_INDEX;
  if (typeof value !== 'object' || value === null || typeof value.type !== 'string' || value.type.length === 0) {
    invalid('must be an object with a non-empty index type, e.g. { type: "FLAT" }', option);
  }
  for (const key of ['params', 'searchParams'] as const) {
    const part = value[key];
    if (part !== undefined && (typeof part !== 'object' || part === null || Array.isArray(part))) {
      invalid(`${key} must be an object`, option);
    }
  }
  return value;
}
