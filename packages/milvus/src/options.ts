import {
  resolveCollectionSpec,
  type CollectionSpec,
  type ModeAccuracy,
  type QueryMode,
  type ResolvedCollectionSpec,
  type RetryOptions,
} from '@m3kit/core';
import type { MilvusConnection } from './client.js';
import { FLAT_INDEX, type IndexChoice } from './collection-layout.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import type { WriteSettings } from './write-batches.js';

export interface MilvusStoreOptions extends MilvusConnection {
  readonly collection: CollectionSpec;
  /** Dense vector index; default FLAT (exact). Milvus Lite offers FLAT and IVF_FLAT only. */
  readonly denseIndex?: IndexChoice;
  /** ColBERT token-vector index; default FLAT (exact). */
  readonly colbertIndex?: IndexChoice;
  /** Largest write request, as core's JSON estimate of its records (default 16 MB). */
  readonly maxBatchBytes?: number;
  /** Write requests in flight at once (default 2). */
  readonly concurrency?: number;
  /**
   * Rows per insert request (default: 32,768 floats' worth, 32 rows of 1024 dimensions). The Node
   * SDK (2.5.x) assembles a vector column with `column = column.concat(row)` per row, so its CPU
   * time per row grows with the floats already in the request: 500 rows of 1024 floats go at ~400
   * rows/s, 128 rows at ~1,400 rows/s, and over an ingest of 11,200 ColBERT rows 32 rows a request
   * used 2.1 client CPU-seconds fewer than 128 (the server 0.65 more) in the same wall time: CPU an
   * encoder sharing the machine needs (Milvus Lite 2.5.1). Small vectors get more rows a request,
   * since each request also costs a round trip and an upsert on the server.
   */
  readonly rowsPerRequest?: number;
  /** First depth of ColBERT's grouped token search (default 1,024; see colbert-search.ts). */
  readonly colbertSearchDepth?: number;
  readonly retry?: Omit<RetryOptions, 'signal'>;
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
  readonly write: WriteSettings;
  readonly retry: Omit<RetryOptions, 'signal'>;
  readonly timeoutMs: number | undefined;
  readonly colbertSearchDepth: number;
  readonly nativeRrf: boolean;
  readonly accuracy: Partial<Record<QueryMode, ModeAccuracy>> | undefined;
}

const DEFAULT_MAX_BATCH_BYTES = 16_000_000;
/** Floats a write request carries by default (see `rowsPerRequest`). */
const FLOATS_PER_REQUEST = 32_768;

export function resolveMilvusOptions(options: MilvusStoreOptions): ResolvedMilvusOptions {
  const collection = resolveCollectionSpec(options.collection);
  return {
    collection,
    denseIndex: options.denseIndex ?? FLAT_INDEX,
    colbertIndex: options.colbertIndex ?? FLAT_INDEX,
    write: {
      maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      concurrency: Math.max(1, options.concurrency ?? 2),
      maxBatchRecords: Math.max(1, options.rowsPerRequest ?? Math.floor(FLOATS_PER_REQUEST / collection.denseDimension)),
    },
    retry: options.retry ?? {},
    timeoutMs: undefined,
    colbertSearchDepth: Math.min(MILVUS_MAX_LIMIT, Math.max(1, options.colbertSearchDepth ?? 1_024)),
    nativeRrf: options.nativeRrf ?? true,
    accuracy: options.accuracy,
  };
}
