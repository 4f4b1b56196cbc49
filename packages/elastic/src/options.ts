import { availableParallelism } from 'node:os';
import type { Client } from '@elastic/elasticsearch';
import type { ElasticClient } from './client.js';
import {
  InvalidInputError,
  resolveCollectionSpec,
  type CollectionSpec,
  type ResolvedCollectionSpec,
} from '@m3kit/core';
import {
  resolveBoolean,
  resolveEnum,
  resolveNumberInRange,
  resolvePositiveInteger,
  resolveWriteOptions,
  type AdapterWriteOptions,
  type ResolvedAdapterRetryOptions,
  type ResolvedAdapterWriteOptions,
} from '@m3kit/core/adapter';
import { COLBERT_ENCODINGS, type ColbertEncoding } from './colbert-codec.js';
import type { DenseIndexOptions, IndexLayout } from './schema.js';
import type { ClusterFeatures } from './server-features.js';

/** Elasticsearch's `refresh` parameter for writes. */
export type RefreshPolicy = 'wait_for' | 'true' | 'false';

/**
 * How query scores are computed.
 * - `exact` (default): Elasticsearch finds candidates (kNN, sparse term disjunction); m3kit
 *   computes every signal's score exactly from the stored copies and fuses on the client. Scores
 *   equal the exact store's (ColBERT within the int16 storage error).
 * - `server`: dense + sparse `weighted` runs as one Elasticsearch request (kNN with boost plus a
 *   sparse `bool.should`); scores are Elasticsearch's, with the kNN transform undone and the sparse
 *   weights' 9-bit rounding left in (relative error up to 2^-8). Dense counts only for the kNN's
 *   top documents, as in any Elasticsearch hybrid query. Other modes use Elasticsearch's
 *   per-signal scores without rescoring.
 */
export type ScoringMode = 'exact' | 'server';

export interface ElasticStoreOptions<C extends ElasticClient = Client> {
  /**
   * Your own client, of `@elastic/elasticsearch` 8 or 9 (kept open on close()); otherwise an 8.x
   * client is made from `node` and `auth`.
   */
  readonly client?: C;
  /** Node URL; default the ES_URL environment variable. */
  readonly node?: string;
  /** Credentials; default ES_API_KEY, or ES_USERNAME + ES_PASSWORD, from the environment. */
  readonly auth?:
    | { readonly apiKey: string }
    | { readonly username: string; readonly password: string };
  readonly collection: CollectionSpec;
  /** dense_vector index structure (default int8_hnsw). Flat types make dense queries exact. */
  readonly denseIndex?: DenseIndexOptions;
  /**
   * How ColBERT rows are stored when the cluster cannot hold them natively (default int8, 1,028
   * bytes a 1024-d row; indices written before int8 became the default hold int16 and must be
   * opened with `colbertEncoding: 'int16'`, see schema.ts).
   */
  readonly colbertEncoding?: ColbertEncoding;
  /**
   * Also index each document's mean ColBERT row (default true) and add a kNN over it to the
   * candidates of ColBERT queries: measured recall@10 of the ColBERT top 10 over 10,000 synthetic
   * points 0.17 from dense + sparse candidates alone, 0.75 with it. Costs a second vector index.
   */
  readonly colbertMeanVector?: boolean;
  readonly scoring?: ScoringMode;
  /** Refresh policy for writes that wait (default wait_for: reads see the writes). */
  readonly refresh?: RefreshPolicy;
  /** Index settings used when creating the index, e.g. { number_of_replicas: 0 }. */
  readonly indexSettings?: Readonly<Record<string, unknown>>;
  /**
   * Bulk writes: most documents a request (default 500), largest body (default 8 MiB), requests in
   * flight (default 2), retries of 429/5xx/connection failures per request and per item (core's
   * defaults: 4, from 200 ms doubling to at most 5 s).
   */
  readonly write?: AdapterWriteOptions;
  /** Per-request timeout in ms (default: the client's, 30,000 for a client the store makes). */
  readonly timeoutMs?: number;
  /** kNN `num_candidates` as a multiple of k (default 2; at most 10,000). */
  readonly numCandidatesFactor?: number;
  /**
   * Quantised dense indices (int8, int4, bbq): kNN `rescore_vector` oversampling, so candidates
   * are re-ranked by the float vectors (default 2; 0 turns it off; needs 8.18+, skipped before).
   */
  readonly rescoreOversample?: number;
  /** Overrides for detected cluster features (see ClusterFeatures). */
  readonly clusterFeatures?: Partial<ClusterFeatures>;
  /** ColBERT kernel: WebAssembly SIMD when available (default), or force plain JavaScript. */
  readonly colbertKernel?: 'auto' | 'javascript';
  /**
   * Threads that rescore ColBERT candidates (default: os.availableParallelism()). With 2 or
   * more, worker threads (shared by every store of the process) score while the main thread
   * fetches; 1 scores on the main thread.
   */
  readonly colbertThreads?: number;
}

export type RetrySettings = ResolvedAdapterRetryOptions;

/** Every option with its default, checked once: the rest of the adapter reads only this. */
export interface ResolvedElasticOptions {
  readonly collection: ResolvedCollectionSpec;
  readonly layout: IndexLayout;
  readonly scoring: ScoringMode;
  readonly refresh: RefreshPolicy;
  readonly indexSettings: Readonly<Record<string, unknown>>;
  readonly write: ResolvedAdapterWriteOptions;
  readonly timeoutMs: number | undefined;
  readonly numCandidatesFactor: number;
  readonly rescoreOversample: number;
  readonly clusterFeatures: Partial<ClusterFeatures>;
  readonly colbertKernel: 'auto' | 'javascript';
  readonly colbertThreads: number;
}

const DENSE_INDEX_TYPES = [
  'hnsw',
  'int8_hnsw',
  'int4_hnsw',
  'bbq_hnsw',
  'flat',
  'int8_flat',
  'int4_flat',
  'bbq_flat',
] as const;
const SCOPE = { backend: 'elasticsearch' } as const;

/** Every option read once, its default applied and its value checked (core's adapter kit helpers). */
export function resolveOptions<C extends ElasticClient>(
  options: ElasticStoreOptions<C>,
): ResolvedElasticOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidInputError('ElasticStore needs an options object');
  const collection = resolveCollectionSpec(options.collection);
  const dense = options.denseIndex ?? {};
  const denseType = resolveEnum(
    'denseIndex.type',
    dense.type,
    'int8_hnsw',
    DENSE_INDEX_TYPES,
    SCOPE,
  );
  if (dense.m !== undefined) resolvePositiveInteger('denseIndex.m', dense.m, 16, SCOPE);
  if (dense.efConstruction !== undefined)
    resolvePositiveInteger('denseIndex.efConstruction', dense.efConstruction, 100, SCOPE);
  const colbertEncoding = resolveEnum(
    'colbertEncoding',
    options.colbertEncoding,
    'int8',
    COLBERT_ENCODINGS,
    SCOPE,
  );
  const colbertMean = resolveBoolean('colbertMeanVector', options.colbertMeanVector, true, SCOPE);
  return {
    collection,
    layout: {
      spec: collection,
      dense: { ...dense, type: denseType },
      colbertEncoding,
      colbertMean,
    },
    scoring: resolveEnum('scoring', options.scoring, 'exact', ['exact', 'server'] as const, SCOPE),
    refresh: resolveEnum(
      'refresh',
      options.refresh,
      'wait_for',
      ['wait_for', 'true', 'false'] as const,
      SCOPE,
    ),
    indexSettings: options.indexSettings ?? {},
    write: resolveWriteOptions(
      options.write,
      { maxBatchRecords: 500, maxBatchBytes: 8 * 1024 * 1024, concurrency: 2 },
      SCOPE,
    ),
    timeoutMs:
      options.timeoutMs === undefined
        ? undefined
        : resolvePositiveInteger('timeoutMs', options.timeoutMs, 0, SCOPE),
    numCandidatesFactor: resolveNumberInRange(
      'numCandidatesFactor',
      options.numCandidatesFactor,
      2,
      { ...SCOPE, min: 1 },
    ),
    rescoreOversample: resolveNumberInRange('rescoreOversample', options.rescoreOversample, 2, {
      ...SCOPE,
      min: 0,
    }),
    clusterFeatures: options.clusterFeatures ?? {},
    colbertKernel: resolveEnum(
      'colbertKernel',
      options.colbertKernel,
      'auto',
      ['auto', 'javascript'] as const,
      SCOPE,
    ),
    colbertThreads: resolvePositiveInteger(
      'colbertThreads',
      options.colbertThreads,
      availableParallelism(),
      SCOPE,
    ),
  };
}
