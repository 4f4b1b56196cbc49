import {
  resolveCollectionSpec,
  type CollectionSpec,
  type ModeAccuracy,
  type QueryMode,
  type ResolvedCollectionSpec,
} from '@m3kit/core';
import {
  DEFAULT_RETRY,
  optionError,
  resolveBoolean,
  resolveEnum,
  resolvePositiveInteger,
  resolveWriteOptions,
  type AdapterRetryOptions,
  type ResolvedAdapterWriteOptions,
} from '@m3kit/core/adapter';
import type { MilvusConnection } from './client.js';
import {
  COLBERT_VECTOR_TYPES,
  FLAT_INDEX,
  type ColbertVectorType,
  type IndexChoice,
} from './collection-layout.js';
import { BACKEND } from './errors.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';

export interface MilvusStoreOptions extends MilvusConnection {
  readonly collection: CollectionSpec;
  /** Dense vector index; default FLAT (exact). Milvus Lite offers FLAT and IVF_FLAT only. */
  readonly denseIndex?: IndexChoice;
  /** ColBERT token-vector index; default FLAT (exact). */
  readonly colbertIndex?: IndexChoice;
  /**
   * How the companion's token vectors are stored: float16 (default, half the bytes) or float32
   * (the layout before float16; such a collection must be opened with float32).
   */
  readonly colbertVectorType?: ColbertVectorType;
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
    /**
     * Retries of retryable failures (unavailable, deadline exceeded, rate limits), with jittered
     * backoff (default 4 retries from 200 ms, at most 5 s). Every request is retried, reads too:
     * writes are idempotent by id.
     */
    readonly retry?: AdapterRetryOptions;
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
  readonly colbertVectorType: ColbertVectorType;
  readonly write: ResolvedAdapterWriteOptions;
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
  const scope = { backend: BACKEND };
  const rowsByFloats = Math.min(
    MILVUS_MAX_LIMIT,
    Math.max(1, Math.floor(FLOATS_PER_REQUEST / collection.denseDimension)),
  );
  const write = resolveWriteOptions(
    options.write,
    {
      maxBatchRecords: rowsByFloats,
      maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
      concurrency: 2,
      retry: DEFAULT_RETRY,
    },
    scope,
  );
  if (write.maxBatchRecords > MILVUS_MAX_LIMIT) {
    throw optionError(
      'write.maxBatchRecords',
      `must be at most ${MILVUS_MAX_LIMIT}, got ${write.maxBatchRecords}`,
      scope,
    );
  }
  return {
    collection,
    denseIndex: indexChoice(options.denseIndex, 'denseIndex'),
    colbertIndex: indexChoice(options.colbertIndex, 'colbertIndex'),
    colbertVectorType: resolveEnum(
      'colbertVectorType',
      options.colbertVectorType,
      'float16',
      COLBERT_VECTOR_TYPES,
      scope,
    ),
    write,
    timeoutMs:
      options.timeoutMs === undefined
        ? undefined
        : resolvePositiveInteger('timeoutMs', options.timeoutMs, 0, { ...scope, max: 86_400_000 }),
    colbertSearchDepth: resolvePositiveInteger(
      'colbertSearchDepth',
      options.colbertSearchDepth,
      1_024,
      { ...scope, max: MILVUS_MAX_LIMIT },
    ),
    nativeRrf: resolveBoolean('nativeRrf', options.nativeRrf, true, scope),
    accuracy: options.accuracy,
  };
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
    if (given[old] !== undefined)
      throw optionError(old, `was renamed to ${now}`, { backend: BACKEND });
  }
}

function indexChoice(value: IndexChoice | undefined, option: string): IndexChoice {
  if (value === undefined) return FLAT_INDEX;
  const invalid = (problem: string): never => {
    throw optionError(option, problem, { backend: BACKEND });
  };
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.type !== 'string' ||
    value.type.length === 0
  ) {
    invalid('must be an object with a non-empty index type, e.g. { type: "FLAT" }');
  }
  for (const key of ['params', 'searchParams'] as const) {
    const part = value[key];
    if (part !== undefined && (typeof part !== 'object' || part === null || Array.isArray(part)))
      invalid(`${key} must be an object`);
  }
  return value;
}
