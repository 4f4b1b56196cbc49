import type { Client } from '@elastic/elasticsearch';
import type { ElasticClient } from './client.js';
import { InvalidInputError, resolveCollectionSpec, type CollectionSpec, type ResolvedCollectionSpec } from '@m3kit/core';
import type { ColbertEncoding } from './colbert-codec.js';
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
  readonly auth?: { readonly apiKey: string } | { readonly username: string; readonly password: string };
  readonly collection: CollectionSpec;
  /** dense_vector index structure (default int8_hnsw). Flat types make dense queries exact. */
  readonly denseIndex?: DenseIndexOptions;
  /** How ColBERT rows are stored when the cluster cannot hold them natively (default int16). */
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
  readonly write?: {
    /** Most documents per bulk request (default 500). */
    readonly maxBatchRecords?: number;
    /** Largest bulk request body in bytes (default 8 MiB). */
    readonly maxBatchBytes?: number;
    /** Bulk requests in flight at once (default 2). */
    readonly concurrency?: number;
    /** Retries of retryable failures (429, 5xx, connection) per request and per bulk item. */
    readonly retry?: { readonly retries?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
  };
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
}

export interface RetrySettings {
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Every option with its default, checked once: the rest of the adapter reads only this. */
export interface ResolvedElasticOptions {
  readonly collection: ResolvedCollectionSpec;
  readonly layout: IndexLayout;
  readonly scoring: ScoringMode;
  readonly refresh: RefreshPolicy;
  readonly indexSettings: Readonly<Record<string, unknown>>;
  readonly write: {
    readonly maxBatchRecords: number;
    readonly maxBatchBytes: number;
    readonly concurrency: number;
    readonly retry: RetrySettings;
  };
  readonly timeoutMs: number | undefined;
  readonly numCandidatesFactor: number;
  readonly rescoreOversample: number;
  readonly clusterFeatures: Partial<ClusterFeatures>;
  readonly colbertKernel: 'auto' | 'javascript';
}

const DENSE_INDEX_TYPES = new Set(['hnsw', 'int8_hnsw', 'int4_hnsw', 'bbq_hnsw', 'flat', 'int8_flat', 'int4_flat', 'bbq_flat']);

export function resolveOptions<C extends ElasticClient>(options: ElasticStoreOptions<C>): ResolvedElasticOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidInputError('ElasticStore needs an options object');
  const collection = resolveCollectionSpec(options.collection);
  const dense = options.denseIndex ?? {};
  const denseType = dense.type ?? 'int8_hnsw';
  if (!DENSE_INDEX_TYPES.has(denseType)) throw new InvalidInputError(`denseIndex.type ${JSON.stringify(denseType)} is not a dense_vector index type`);
  if (dense.m !== undefined) positiveInteger('denseIndex.m', dense.m);
  if (dense.efConstruction !== undefined) positiveInteger('denseIndex.efConstruction', dense.efConstruction);
  const colbertEncoding = oneOf('colbertEncoding', options.colbertEncoding ?? 'int16', ['int16', 'float32'] as const);
  const write = options.write ?? {};
  const retry = write.retry ?? {};
  return {
    collection,
    layout: { spec: collection, dense: { ...dense, type: denseType }, colbertEncoding, colbertMean: options.colbertMeanVector ?? true },
    scoring: oneOf('scoring', options.scoring ?? 'exact', ['exact', 'server'] as const),
    refresh: oneOf('refresh', options.refresh ?? 'wait_for', ['wait_for', 'true', 'false'] as const),
    indexSettings: options.indexSettings ?? {},
    write: {
      maxBatchRecords: positiveInteger('write.maxBatchRecords', write.maxBatchRecords ?? 500),
      maxBatchBytes: positiveInteger('write.maxBatchBytes', write.maxBatchBytes ?? 8 * 1024 * 1024),
      concurrency: positiveInteger('write.concurrency', write.concurrency ?? 2),
      retry: {
        retries: nonNegativeInteger('write.retry.retries', retry.retries ?? 4),
        baseDelayMs: nonNegativeInteger('write.retry.baseDelayMs', retry.baseDelayMs ?? 200),
        maxDelayMs: nonNegativeInteger('write.retry.maxDelayMs', retry.maxDelayMs ?? 5_000),
      },
    },
    timeoutMs: options.timeoutMs === undefined ? undefined : positiveInteger('timeoutMs', options.timeoutMs),
    numCandidatesFactor: atLeastOne('numCandidatesFactor', options.numCandidatesFactor ?? 2),
    rescoreOversample: nonNegative('rescoreOversample', options.rescoreOversample ?? 2),
    clusterFeatures: options.clusterFeatures ?? {},
    colbertKernel: oneOf('colbertKernel', options.colbertKernel ?? 'auto', ['auto', 'javascript'] as const),
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInputError(`${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidInputError(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidInputError(`${name} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

function atLeastOne(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) throw new InvalidInputError(`${name} must be a finite number >= 1, got ${String(value)}`);
  return value;
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new InvalidInputError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
