import type { ResolvedCollectionSpec as DescribedSpec, ScannedRecord } from '@m3kit/core';
import { Client } from '@elastic/elasticsearch';
import {
  ALL_FILTER_OPS,
  AbortedError,
  BackendError,
  CollectionMismatchError,
  InvalidInputError,
  UnsupportedError,
  batchBySize,
  checkQueryDimensions,
  denseScore,
  finishWrite,
  lexicalMatchingScore,
  mapWithConcurrency,
  rankCandidates,
  resolveCollectionSpec,
  resolveQuery,
  sleep,
  throwIfAborted,
  validateDense,
  validateId,
  validateLexical,
  validateMultiVector,
  validateRecord,
  withRetry,
  type CollectionSpec,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Error,
  type M3Record,
  type M3StoreV1,
  type MetadataFieldType,
  type ModeAccuracy,
  type OperationOptions,
  type QueryHit,
  type QueryMode,
  type QueryResult,
  type RankedList,
  type ResolvedCollectionSpec,
  type ResolvedQuery,
  type Signal,
  type StoreCapabilities,
  type StoredRecord,
  type WriteFailure,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import { detectClusterFeatures, featuresFrom, type ClusterFeatures } from './server-features.js';
import type { ColbertEncoding } from './colbert-codec.js';
import {
  checkMetadataTypes,
  decodeDense,
  decodeDocument,
  decodeLexical,
  encodeDocument,
  meanRow,
  normaliseQuery,
  type ElasticSource,
} from './record-codec.js';
import { decodeCbor } from './cbor.js';
import { BACKEND, bulkItemError, describeError, isRetryableStatus, toM3Error } from './errors.js';
import { translateFilter, type QueryClause } from './filter-translation.js';
import { FIELDS, buildMapping, compareMapping, type DenseIndexOptions, type IndexLayout } from './schema.js';
import { ColbertScorer, type ColbertKernel } from './maxsim/colbert-scorer.js';
import { denseSearch, fillerSearch, hybridSearch, sparseSearch, type SearchBody } from './query-plan.js';

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

export interface ElasticStoreOptions {
  /** Your own client (kept open on close()); otherwise one is made from `node` and `auth`. */
  readonly client?: Client;
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
  /** Largest bulk request body in bytes (default 8 MiB). */
  readonly maxBatchBytes?: number;
  /** Most documents per bulk request (default 500). */
  readonly maxBatchItems?: number;
  /** Bulk requests in flight at once (default 2). */
  readonly concurrency?: number;
  /** Retries of retryable failures (429, 5xx, connection) per request (default 4). */
  readonly retries?: number;
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

const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;
const MGET_CHUNK = 500;
const SCAN_PAGE = 200;
const COLBERT_FETCHES_IN_FLIGHT = 3;
/** Elasticsearch rounds stored sparse weights down to 9 significant bits: at most 2^-8 relative. */
export const SPARSE_RELATIVE_ERROR = 2 ** -8;

interface Hit {
  readonly _id: string;
  readonly _score: number | null;
  readonly _source?: ElasticSource;
  readonly matched_queries?: Record<string, number> | string[];
  readonly sort?: unknown[];
}

interface SearchResponse {
  readonly hits: { readonly hits: readonly Hit[] };
}

interface MsearchResponse {
  readonly responses: readonly (SearchResponse | { readonly error: unknown; readonly status?: number })[];
}

interface MgetDoc {
  readonly _id: string;
  readonly found?: boolean;
  readonly _source?: ElasticSource;
  readonly fields?: Record<string, string[]>;
}

interface BulkResponse {
  readonly errors: boolean;
  readonly items: readonly Record<string, { readonly _id?: string; readonly status: number; readonly error?: unknown }>[];
}

/** One candidate document and what is known of it. */
interface Candidate {
  readonly id: string;
  source: ElasticSource;
  readonly scores: Partial<Record<Signal, number>>;
}

/**
 * BGE-M3 on Elasticsearch: dense_vector (kNN), sparse_vector (per-token term queries) and ColBERT
 * (stored compactly, rescored on the client by a WebAssembly SIMD kernel), implementing core's
 * M3StoreV1. See README.md for the mapping and the measured precision of each path.
 */
export class ElasticStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly client: Client;
  readonly collection: ResolvedCollectionSpec;
  readonly capabilities: StoreCapabilities;
  private readonly ownsClient: boolean;
  private readonly layout: IndexLayout;
  private readonly fieldTypes: ReadonlyMap<string, MetadataFieldType>;
  private readonly scoring: ScoringMode;
  private readonly refresh: RefreshPolicy;
  private readonly options: ElasticStoreOptions;
  private readonly maxBatchBytes: number;
  private features: ClusterFeatures | undefined;
  private ready = false;

  constructor(options: ElasticStoreOptions) {
    this.options = options;
    this.collection = resolveCollectionSpec(options.collection);
    this.fieldTypes = new Map(this.collection.metadataFields.map((field) => [field.name, field.type]));
    this.scoring = options.scoring ?? 'exact';
    this.refresh = options.refresh ?? 'wait_for';
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    const denseType = options.denseIndex?.type ?? 'int8_hnsw';
    this.layout = {
      spec: this.collection,
      dense: { ...options.denseIndex, type: denseType },
      colbertEncoding: options.colbertEncoding ?? 'int16',
      colbertMean: options.colbertMeanVector ?? true,
    };
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const node = options.node ?? process.env.ES_URL;
      if (!node) throw new InvalidInputError('ElasticStore needs a client, a node URL, or ES_URL in the environment');
      this.client = new Client({ node, maxRetries: 0, ...authFromOptions(options.auth) });
      this.ownsClient = true;
    }
    this.capabilities = this.describeCapabilities(denseType);
  }

  /** What the cluster offers (after ensureCollection), overrides applied. */
  get clusterFeatures(): ClusterFeatures | undefined {
    return this.features;
  }

  private describeCapabilities(denseType: string): StoreCapabilities {
    // Flat indices are brute force: kNN candidates are then exactly the top by direction.
    const exactDense = denseType === 'flat';
    // Candidate-based modes: the lower of the recall measured on the conformance corpus and on
    // 10,000 synthetic points (bench/dist/store-bench.js --backend elastic), rounded down.
    const accuracy: Record<QueryMode, ModeAccuracy> = {
      dense: exactDense ? 'exact' : { minRecallAt10: 0.9 },
      sparse: 'exact',
      colbert: { minRecallAt10: 0.75 },
      weighted: { minRecallAt10: 0.9 },
      rrf: { minRecallAt10: 0.75 },
      dbsf: { minRecallAt10: 0.75 },
    };
    const colbertTolerance = this.layout.colbertEncoding === 'int16' ? 1e-4 : 1e-6;
    return {
      backend: BACKEND,
      signals: this.collection.signals,
      nativeFusion: this.scoring === 'server' ? ['weighted'] : [],
      nativeColbert: false,
      filterOps: ALL_FILTER_OPS,
      accuracy,
      scoreTolerance: this.scoring === 'server' ? 4e-3 : colbertTolerance,
      maxBatchBytes: this.maxBatchBytes,
    };
  }

  async ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }> {
    const signal = options?.signal;
    throwIfAborted(signal, 'ensureCollection');
    await this.detectFeatures(signal);
    const index = this.collection.name;
    const mapping = buildMapping(this.layout);
    let created = false;
    try {
      await this.client.transport.request(
        {
          method: 'PUT',
          path: `/${encodeURIComponent(index)}`,
          body: { settings: { ...this.options.indexSettings }, mappings: mapping },
        },
        { signal },
      );
      created = true;
    } catch (error) {
      const translated = toM3Error(error, `create index ${index}`);
      const type = errorType(error);
      if (type !== 'resource_already_exists_exception') throw translated;
    }
    if (!created) {
      const existing = (await this.request('GET', `/${encodeURIComponent(index)}/_mapping`, undefined, signal, 'read mapping')) as Record<
        string,
        { mappings?: unknown }
      >;
      const differences = compareMapping(Object.values(existing)[0]?.mappings, this.layout);
      if (differences.length > 0) throw new CollectionMismatchError({ backend: BACKEND, collection: index, differences });
    }
    this.ready = true;
    return { created };
  }

  private async detectFeatures(signal?: AbortSignal): Promise<ClusterFeatures> {
    if (this.features === undefined) {
      const override = this.options.clusterFeatures ?? {};
      const detected =
        override.version !== undefined && override.license !== undefined && override.modules !== undefined
          ? featuresFrom(override.version, override.modules, override.license)
          : await detectClusterFeatures(this.client, signal);
      this.features = { ...detected, ...override };
      const dense = this.layout.dense.type;
      if (this.collection.signals.includes('dense') && dense.startsWith('bbq') && !this.features.bbq) {
        throw new UnsupportedError({ backend: BACKEND, feature: `dense index type ${dense}`, message: `needs Elasticsearch 8.16+, cluster is ${this.features.version}` });
      }
    }
    return this.features;
  }

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    this.assertReady();
    const failed: WriteFailure[] = [];
    const operations: { id: string; lines: string; bytes: number }[] = [];
    for (const record of records) {
      try {
        validateRecord(record, this.collection);
        checkMetadataTypes(record.metadata, this.fieldTypes, record.id);
        const source = encodeDocument(record, this.collection, this.layout.colbertEncoding, this.layout.colbertMean);
        const lines = `${JSON.stringify({ index: { _id: record.id } })}\n${JSON.stringify(source)}`;
        operations.push({ id: record.id, lines, bytes: Buffer.byteLength(lines) + 2 });
      } catch (error) {
        failed.push({ id: typeof record?.id === 'string' ? record.id : String(record?.id), error: asM3Error(error) });
      }
    }
    const written = await this.bulk(operations, options, failed);
    return finishWrite(BACKEND, { written, failed }, options);
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    this.assertReady();
    const failed: WriteFailure[] = [];
    const operations: { id: string; lines: string; bytes: number }[] = [];
    for (const id of ids) {
      try {
        validateId(id);
        const lines = JSON.stringify({ delete: { _id: id } });
        operations.push({ id, lines, bytes: Buffer.byteLength(lines) + 1 });
      } catch (error) {
        failed.push({ id: String(id), error: asM3Error(error) });
      }
    }
    const written = await this.bulk(operations, options, failed);
    return finishWrite(BACKEND, { written, failed }, options);
  }

  /**
   * Sends operations as bulk requests, batched by bytes, a few at a time. Each id ends in
   * `written` or `failed`: retryable item failures (429, 5xx) are sent again with backoff; a
   * request that keeps failing fails all of its ids with the error.
   */
  private async bulk(
    operations: readonly { id: string; lines: string; bytes: number }[],
    options: WriteOptions | undefined,
    failed: WriteFailure[],
  ): Promise<string[]> {
    const signal = options?.signal;
    const refresh = options?.wait === false ? 'false' : this.refresh;
    const batches = batchBySize(operations, (operation) => operation.bytes, {
      maxBytes: this.maxBatchBytes,
      maxItems: this.options.maxBatchItems ?? 500,
    });
    const writtenByBatch = await mapWithConcurrency(
      batches,
      this.options.concurrency ?? 2,
      async (batch) => {
        const written: string[] = [];
        let pending = batch;
        const retries = this.options.retries ?? 4;
        for (let attempt = 0; pending.length > 0; attempt++) {
          let response: BulkResponse;
          try {
            response = await withRetry(
              () =>
                this.request(
                  'POST',
                  `/${encodeURIComponent(this.collection.name)}/_bulk`,
                  undefined,
                  signal,
                  'bulk write',
                  { refresh, filter_path: 'errors,items.*.status,items.*.error' },
                  pending.map((operation) => operation.lines),
                ) as Promise<BulkResponse>,
              { retries, signal },
            );
          } catch (error) {
            if (AbortedError.isInstance(error)) throw error;
            for (const operation of pending) failed.push({ id: operation.id, error: asM3Error(error) });
            break;
          }
          const retry: typeof pending = [];
          const items = response.items ?? [];
          pending.forEach((operation, i) => {
            const item = items[i] === undefined ? undefined : Object.values(items[i]!)[0];
            if (item === undefined) {
              failed.push({ id: operation.id, error: new BackendError({ backend: BACKEND, message: 'bulk response lacks this item', isRetryable: true }) });
            } else if (item.status < 300 || (item.status === 404 && operation.lines.startsWith('{"delete"'))) {
              written.push(operation.id);
            } else if (isRetryableStatus(item.status) && attempt < retries) {
              retry.push(operation);
            } else {
              failed.push({ id: operation.id, error: bulkItemError(item.status, item.error) });
            }
          });
          pending = retry;
          if (pending.length > 0) await sleep(Math.min(5_000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2), signal);
        }
        return written;
      },
      signal,
    );
    return writtenByBatch.flat();
  }

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    this.assertReady();
    ids.forEach((id) => validateId(id));
    const withEmbedding = options?.includeEmbedding === true;
    const includes = this.sourceFields(true, true, withEmbedding ? this.collection.signals.filter((s) => s !== 'colbert') : []);
    const colbert = withEmbedding && this.collection.signals.includes('colbert');
    const found: StoredRecord[] = [];
    for (let start = 0; start < ids.length; start += MGET_CHUNK) {
      const chunk = ids.slice(start, start + MGET_CHUNK);
      const response = (await this.request('POST', `/${encodeURIComponent(this.collection.name)}/_mget`, { ids: chunk }, options?.signal, 'get', {
        _source_includes: includes.join(','),
        ...(colbert ? { stored_fields: FIELDS.colbert } : {}),
      })) as { docs: MgetDoc[] };
      for (const doc of response.docs) {
        if (!doc.found) continue;
        const source: ElasticSource = { ...doc._source };
        const blob = doc.fields?.[FIELDS.colbert]?.[0];
        if (blob !== undefined) source.colbert = blob;
        found.push(decodeDocument(doc._id, source, withEmbedding));
      }
    }
    return found;
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    throwIfAborted(options?.signal, 'count');
    this.assertReady();
    const body = filter === undefined ? undefined : { query: { bool: { filter: [this.filterClause(filter)] } } };
    const response = (await this.request('POST', `/${encodeURIComponent(this.collection.name)}/_count`, body, options?.signal, 'count')) as {
      count: number;
    };
    return response.count;
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    const signal = options?.signal;
    throwIfAborted(signal, 'query');
    this.assertReady();
    const resolved = resolveQuery(query, this.collection.signals);
    checkQueryDimensions(query.embedding, this.collection);
    this.validateQueryEmbedding(resolved);
    const filter = resolved.query.filter === undefined ? undefined : this.filterClause(resolved.query.filter);
    if (this.scoring === 'server') return this.queryServerScored(resolved, filter, signal);
    return this.queryExact(resolved, filter, signal);
  }

  // Placeholders until the adapter implements the sync contract (issues 12 and 16).
  async exists(): Promise<boolean> {
    throw new UnsupportedError({ backend: 'elastic', feature: 'exists', message: 'not implemented yet' });
  }

  async describeCollection(): Promise<DescribedSpec | undefined> {
    throw new UnsupportedError({ backend: 'elastic', feature: 'describeCollection', message: 'not implemented yet' });
  }

  // eslint-disable-next-line require-yield
  async *scan(): AsyncIterable<readonly ScannedRecord[]> {
    throw new UnsupportedError({ backend: 'elastic', feature: 'scan', message: 'not implemented yet' });
  }

  async drop(options?: OperationOptions): Promise<void> {
    throwIfAborted(options?.signal, 'drop');
    try {
      await this.client.transport.request({ method: 'DELETE', path: `/${encodeURIComponent(this.collection.name)}` }, { signal: options?.signal });
    } catch (error) {
      if (errorType(error) !== 'index_not_found_exception') throw toM3Error(error, 'drop');
    }
    this.ready = false;
  }

  async close(): Promise<void> {
    this.ready = false;
    if (this.ownsClient) await this.client.close();
  }

  // ---- queries -------------------------------------------------------------------------------

  /**
   * Candidates from Elasticsearch (one _msearch: kNN and/or the sparse disjunction), then every
   * signal's exact score from the stored copies, ColBERT by the SIMD kernel, and core's ranking.
   */
  private async queryExact(resolved: ResolvedQuery, filter: QueryClause | undefined, signal?: AbortSignal): Promise<QueryResult> {
    const { signals, candidates: depth } = resolved;
    const embedding = resolved.query.embedding;
    const wantColbert = signals.includes('colbert');
    const stored = this.collection.signals;
    const useDense = signals.includes('dense') || (wantColbert && embedding.dense !== undefined && stored.includes('dense'));
    const useSparse = signals.includes('sparse') || (wantColbert && embedding.lexical !== undefined && stored.includes('sparse'));
    const includes = this.sourceFields(resolved.includeText, resolved.includeMetadata, signals.filter((s) => s !== 'colbert'));
    const denseDepth = Math.max(signals.includes('dense') ? depth.dense : 0, wantColbert ? depth.colbert : 0);
    const sparseDepth = Math.max(signals.includes('sparse') ? depth.sparse : 0, wantColbert ? depth.colbert : 0);
    // Sparse scores in Elasticsearch are rounded down by up to 2^-8: fetch a margin beyond the
    // cut-off, re-sort exactly, and check nothing unfetched could beat the last one kept.
    const sparseFetch = sparseDepth + Math.max(10, Math.ceil(sparseDepth * 0.1));
    const numCandidatesFactor = this.options.numCandidatesFactor ?? 2;
    const denseVector = useDense && embedding.dense ? normaliseQuery(embedding.dense) : undefined;

    const searches: { signal: 'dense' | 'sparse' | 'colbert'; body: SearchBody }[] = [];
    if (useDense && denseVector !== undefined) {
      searches.push({
        signal: 'dense',
        body: denseSearch({ vector: denseVector, depth: denseDepth, numCandidatesFactor, rescoreOversample: this.rescoreOversample(), filter, source: includes }),
      });
    }
    if (useSparse && embedding.lexical !== undefined && embedding.lexical.indices.length > 0) {
      searches.push({ signal: 'sparse', body: sparseSearch({ lexical: embedding.lexical, depth: sparseFetch, filter, source: includes }) });
    }
    const colbertMean = wantColbert && this.layout.colbertMean && embedding.colbert ? meanRow(embedding.colbert) : undefined;
    if (colbertMean !== undefined) {
      searches.push({
        signal: 'colbert',
        body: {
          ...denseSearch({ vector: colbertMean, depth: depth.colbert, numCandidatesFactor, rescoreOversample: this.rescoreOversample(), filter, source: includes }),
        },
      });
      (searches.at(-1)!.body.knn as { field: string }).field = FIELDS.colbertMean;
    }
    const candidates = new Map<string, Candidate>();
    const sourceHits: Partial<Record<'dense' | 'sparse' | 'colbert', Hit[]>> = {};
    const steps: string[] = [];
    if (searches.length > 0) {
      const responses = await this.msearch(searches.map((s) => s.body), signal);
      searches.forEach((search, i) => {
        const hits = [...responses[i]!.hits.hits];
        sourceHits[search.signal] = hits;
        for (const hit of hits) addCandidate(candidates, hit);
      });
      steps.push(
        searches
          .map((s) =>
            s.signal === 'dense'
              ? `knn(k=${denseDepth})`
              : s.signal === 'sparse'
                ? `sparse(${embedding.lexical?.indices.length} terms, ${sparseFetch})`
                : `ColBERT mean knn(k=${depth.colbert})`,
          )
          .join(' + '),
      );
    }
    // A dense search that found fewer documents than asked leaves the rest to score 0 for dense;
    // the exact store ranks such ties by id, so fetch them the same way. (A sparse list holds only
    // documents sharing a token with the query, in the exact store as in Elasticsearch: no fill.)
    for (const fill of ['dense'] as const) {
      if (!signals.includes(fill)) continue;
      const hits = sourceHits[fill] ?? [];
      const wanted = depth[fill];
      if (hits.length >= wanted) continue;
      const extra = await this.search(
        fillerSearch({ exclude: hits.map((h) => h._id), size: wanted - hits.length, filter, source: includes }),
        signal,
      );
      for (const hit of extra.hits.hits) addCandidate(candidates, { ...hit, _score: null });
      sourceHits[fill] = [...hits, ...extra.hits.hits.map((h) => ({ ...h, _score: 0 }))];
      steps.push(`${fill} zero-score fill(${extra.hits.hits.length})`);
    }
    if (wantColbert && searches.length === 0 && this.layout.colbertMean === false) {
      // Nothing to find candidates with: score every (filtered) document.
      const scanned = await this.scanAll(filter, includes, signal);
      for (const hit of scanned) addCandidate(candidates, hit);
      steps.push(`full scan(${scanned.length})`);
    }

    // Exact per-signal scores for every candidate.
    for (const candidate of candidates.values()) {
      const source = candidate.source;
      if (signals.includes('dense')) {
        candidate.scores.dense = source.dense_exact && embedding.dense ? denseScore(embedding.dense, decodeDense(source.dense_exact)) : 0;
      }
      if (signals.includes('sparse')) {
        candidate.scores.sparse =
          source.lexical_exact && embedding.lexical ? lexicalMatchingScore(embedding.lexical, decodeLexical(source.lexical_exact)) : 0;
      }
    }
    let kernel: ColbertKernel | undefined;
    if (wantColbert) kernel = await this.scoreColbert(candidates, resolved, signal);

    const warnings: string[] = [];
    const lists: Partial<Record<Signal, RankedList>> = {};
    if (signals.length > 1 && resolved.fusion !== 'weighted') {
      for (const s of ['dense', 'sparse'] as const) {
        if (signals.includes(s)) lists[s] = exactList(sourceHits[s] ?? [], candidates, s, depth[s]);
      }
      if (wantColbert) lists.colbert = exactList([...candidates.values()].map((c) => ({ _id: c.id, _score: null })), candidates, 'colbert', depth.colbert);
    }
    if (signals.includes('sparse')) {
      const warning = this.checkSparseCutoff(sourceHits.sparse ?? [], candidates, depth.sparse, sparseFetch);
      if (warning) warnings.push(warning);
    }
    const scores = new Map([...candidates.values()].map((c) => [c.id, c.scores] as const));
    const ranked = rankCandidates(resolved, scores, lists);
    const hits = ranked.map(({ id, score }) => toHit(id, score, candidates.get(id)!, resolved));
    return {
      hits,
      execution: {
        fusion: signals.length > 1 ? 'client' : 'none',
        colbert: wantColbert ? 'client' : 'none',
        description:
          `elasticsearch: ${steps.join(', ') || 'no candidates'} -> ${candidates.size} candidates, exact client scoring of ` +
          `${signals.join('+')}${kernel ? ` (ColBERT ${this.layout.colbertEncoding} via ${kernel})` : ''}` +
          (signals.length > 1 ? `, ${resolved.fusion} fusion on the client` : ''),
      },
      warnings,
    };
  }

  /**
   * Dense + sparse in one request scored by Elasticsearch (`scoring: 'server'`); see ScoringMode.
   * The kNN part scores boost * (1 + dot) / 2, so with boost = 2 w_d / W its named score s gives
   * dot = s W / w_d - 1; the sparse part's boosts carry w_s / W, so its named score over that is
   * the (rounded) dot product. The hit's score is recomposed from the two, which also drops the
   * w_d / W offset the transform adds to kNN matches.
   */
  private async queryServerScored(resolved: ResolvedQuery, filter: QueryClause | undefined, signal?: AbortSignal): Promise<QueryResult> {
    const { signals } = resolved;
    const embedding = resolved.query.embedding;
    if (signals.includes('colbert') || (signals.length > 1 && resolved.fusion !== 'weighted')) {
      const result = await this.queryExact(resolved, filter, signal);
      return { ...result, warnings: [...result.warnings, 'scoring "server" covers dense/sparse weighted queries only; this one was scored exactly on the client'] };
    }
    const weights = resolved.weights;
    const useDense = signals.includes('dense');
    const useSparse = signals.includes('sparse');
    const weightSum = (useDense ? weights.dense : 0) + (useSparse ? weights.sparse : 0);
    const denseShare = signals.length === 1 ? (useDense ? 1 : 0) : (useDense ? weights.dense : 0) / weightSum;
    const sparseShare = signals.length === 1 ? (useSparse ? 1 : 0) : (useSparse ? weights.sparse : 0) / weightSum;
    const vector = useDense && embedding.dense ? normaliseQuery(embedding.dense) : undefined;
    const denseNorm = embedding.dense ? Math.hypot(...embedding.dense) : 0;
    const includes = this.sourceFields(resolved.includeText, resolved.includeMetadata, []);
    const body = hybridSearch({
      vector,
      lexical: useSparse ? embedding.lexical : undefined,
      denseBoost: 2 * denseShare,
      sparseScale: sparseShare,
      denseDepth: resolved.candidates.dense,
      numCandidatesFactor: this.options.numCandidatesFactor ?? 2,
      rescoreOversample: this.rescoreOversample(),
      size: resolved.topK + (useDense ? resolved.candidates.dense : 0),
      filter,
      source: includes,
    });
    const response = await this.search(body, signal, { include_named_queries_score: 'true' });
    const hits: QueryHit[] = response.hits.hits.map((hit) => {
      const named = (Array.isArray(hit.matched_queries) ? {} : hit.matched_queries) ?? {};
      const signalScores: Partial<Record<Signal, number>> = {};
      let score = 0;
      if (useDense) {
        // The kNN ran on the normalised query; scale back to the caller's vector length.
        const cosine = named.dense === undefined ? undefined : named.dense / denseShare - 1;
        if (cosine !== undefined) {
          signalScores.dense = cosine * denseNorm;
          score += denseShare * signalScores.dense;
        }
      }
      if (useSparse) {
        signalScores.sparse = named.sparse === undefined ? 0 : named.sparse / sparseShare;
        score += sparseShare * signalScores.sparse;
      }
      return toHit(hit._id, score, { id: hit._id, source: hit._source ?? {}, scores: signalScores }, resolved);
    });
    if (hits.length < resolved.topK && useDense) {
      // Fewer matches than asked: the rest score 0 (no shared token, no vector), ranked by id.
      // Not for sparse alone: a sparse ranking holds only documents sharing a token with the query.
      const extra = await this.search(
        fillerSearch({ exclude: hits.map((h) => h.id), size: resolved.topK - hits.length, filter, source: includes }),
        signal,
      );
      for (const hit of extra.hits.hits) {
        const zero: Partial<Record<Signal, number>> = Object.fromEntries(signals.map((s) => [s, 0]));
        hits.push(toHit(hit._id, 0, { id: hit._id, source: hit._source ?? {}, scores: zero }, resolved));
      }
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      hits: hits.slice(0, resolved.topK),
      execution: {
        fusion: signals.length > 1 ? 'native' : 'none',
        colbert: 'none',
        description:
          `elasticsearch: one request, ${useDense ? `knn(k=${resolved.candidates.dense}, boost ${2 * denseShare}${this.rescoreOversample() ? ', rescore_vector' : ''})` : ''}` +
          `${useDense && useSparse ? ' + ' : ''}${useSparse ? `sparse(${embedding.lexical?.indices.length} terms)` : ''}, ` +
          'scores from Elasticsearch (kNN transform undone, sparse weights at 9-bit precision)',
      },
      warnings: [],
    };
  }

  private async scoreColbert(candidates: Map<string, Candidate>, resolved: ResolvedQuery, signal?: AbortSignal): Promise<ColbertKernel> {
    const query = resolved.query.embedding.colbert!;
    const scorer = new ColbertScorer(query, { kernel: this.options.colbertKernel ?? 'auto' });
    const ids = [...candidates.keys()];
    // Blobs are large (2 bytes a value; 100 candidates of 256 rows are ~67 MiB of base64): fetch
    // them in chunks, a few requests in flight so Elasticsearch's serialising overlaps the
    // parsing and scoring here, and score each chunk as it arrives.
    const chunk = Math.max(1, Math.min(MGET_CHUNK, Math.floor(this.maxBatchBytes / (query.dim * 2 * 256))));
    const chunks: string[][] = [];
    for (let start = 0; start < ids.length; start += chunk) chunks.push(ids.slice(start, start + chunk));
    await mapWithConcurrency(
      chunks,
      COLBERT_FETCHES_IN_FLIGHT,
      async (part) => {
        // CBOR carries the blobs as raw bytes (JSON would carry base64 strings a third larger).
        const response = await this.request(
          'POST',
          `/${encodeURIComponent(this.collection.name)}/_mget`,
          { ids: part },
          signal,
          'fetch ColBERT vectors',
          { stored_fields: FIELDS.colbert, _source: 'false', filter_path: 'docs._id,docs.fields' },
          undefined,
          // Plain JSON in, so the Accept header needs no compatible-with version (8 or 9).
          { accept: 'application/cbor', 'content-type': 'application/json' },
        );
        const decoded = (response instanceof Uint8Array ? decodeCbor(response) : response) as {
          docs?: { _id?: unknown; fields?: Record<string, (Uint8Array | string)[]> }[];
        };
        for (const doc of decoded.docs ?? []) {
          const candidate = candidates.get(String(doc._id));
          if (candidate === undefined) continue;
          const blob = doc.fields?.[FIELDS.colbert]?.[0];
          candidate.scores.colbert =
            blob === undefined ? 0 : typeof blob === 'string' ? scorer.scoreBase64(blob) : scorer.scoreBytes(blob);
        }
      },
      signal,
    );
    for (const candidate of candidates.values()) candidate.scores.colbert ??= 0;
    return scorer.kernel;
  }

  /** Every document within the filter, in id order (ColBERT-only queries without other signals). */
  private async scanAll(filter: QueryClause | undefined, includes: readonly string[], signal?: AbortSignal): Promise<Hit[]> {
    const all: Hit[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      throwIfAborted(signal, 'query');
      const body: SearchBody = {
        query: { bool: filter ? { filter: [filter] } : {} },
        sort: [{ [FIELDS.id]: 'asc' }],
        size: SCAN_PAGE,
        _source: includes.length > 0 ? { includes } : false,
        ...(after ? { search_after: after } : {}),
      };
      const page = await this.search(body, signal);
      all.push(...page.hits.hits);
      if (page.hits.hits.length < SCAN_PAGE) return all;
      after = page.hits.hits[page.hits.hits.length - 1]!.sort;
    }
  }

  /**
   * Whether the exact sparse list is certain up to its cut-off: an unfetched document scored at
   * most the last fetched one by Elasticsearch, so exactly at most that / (1 - 2^-8).
   */
  private checkSparseCutoff(hits: readonly Hit[], candidates: Map<string, Candidate>, depth: number, fetched: number): string | undefined {
    if (hits.length < fetched) return undefined; // everything that matched was fetched
    const lastServerScore = hits[hits.length - 1]?._score ?? 0;
    const exact = hits.map((h) => candidates.get(h._id)?.scores.sparse ?? 0).sort((a, b) => b - a);
    const cutoff = exact[Math.min(depth, exact.length) - 1] ?? 0;
    if (cutoff >= (lastServerScore / (1 - SPARSE_RELATIVE_ERROR)) * (1 + 1e-6)) return undefined;
    return `sparse candidates near the cut-off (${depth}) may differ from the exact ranking: Elasticsearch rounds stored weights to 9 bits`;
  }

  /** Oversampling for kNN `rescore_vector`, when the index is quantised and the cluster has it. */
  private rescoreOversample(): number | undefined {
    const type = this.layout.dense.type;
    const quantised = type.startsWith('int') || type.startsWith('bbq');
    const oversample = this.options.rescoreOversample ?? 2;
    return quantised && oversample > 0 && this.features?.knnRescoreVector ? oversample : undefined;
  }

  private validateQueryEmbedding(resolved: ResolvedQuery): void {
    const { dense, lexical, colbert } = resolved.query.embedding;
    const item = 'query';
    if (dense !== undefined) validateDense(dense, this.collection.denseDimension, item);
    if (lexical !== undefined) validateLexical(lexical, item);
    if (colbert !== undefined && resolved.signals.includes('colbert')) validateMultiVector(colbert, this.collection.denseDimension, item);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  private sourceFields(text: boolean, metadata: boolean, signals: readonly Signal[]): string[] {
    const fields: string[] = [];
    if (text && this.collection.storeText) fields.push(FIELDS.text);
    if (metadata) fields.push(FIELDS.metadata);
    if (signals.includes('dense')) fields.push(FIELDS.denseExact);
    if (signals.includes('sparse')) fields.push(FIELDS.lexicalExact);
    if (signals.includes('colbert')) fields.push(FIELDS.colbert);
    return fields;
  }

  private filterClause(filter: Filter): QueryClause {
    return translateFilter(filter, this.fieldTypes);
  }

  private async msearch(bodies: readonly SearchBody[], signal?: AbortSignal): Promise<SearchResponse[]> {
    const lines = bodies.flatMap((body) => [JSON.stringify({}), JSON.stringify(body)]);
    const response = (await this.request('POST', `/${encodeURIComponent(this.collection.name)}/_msearch`, undefined, signal, 'search', {}, lines)) as MsearchResponse;
    return response.responses.map((item) => {
      if ('error' in item) {
        throw new BackendError({
          backend: BACKEND,
          message: `search failed: ${describeError((item.error as { root_cause?: unknown[] }).root_cause?.[0] ?? item.error)}`,
          ...(item.status === undefined ? {} : { statusCode: item.status }),
          isRetryable: isRetryableStatus(item.status),
        });
      }
      return item;
    });
  }

  private async search(body: SearchBody, signal?: AbortSignal, querystring: Record<string, string> = {}): Promise<SearchResponse> {
    return (await this.request('POST', `/${encodeURIComponent(this.collection.name)}/_search`, body, signal, 'search', querystring)) as SearchResponse;
  }

  /** One HTTP request through the client's transport, errors translated, retried when retryable. */
  private async request(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    what: string,
    querystring: Record<string, string> = {},
    bulkBody?: readonly string[],
    headers?: Record<string, string>,
  ): Promise<unknown> {
    const send = async (): Promise<unknown> => {
      try {
        return await this.client.transport.request(
          {
            method,
            path,
            querystring,
            ...(body === undefined ? {} : { body: body as Record<string, unknown> }),
            ...(bulkBody === undefined ? {} : { bulkBody: [...bulkBody] }),
          },
          { signal, ...(headers ? { headers } : {}) },
        );
      } catch (error) {
        throw toM3Error(error, what);
      }
    };
    // Bulk writes retry in bulk() (per item); everything else retries here.
    if (bulkBody !== undefined && path.endsWith('/_bulk')) return send();
    return withRetry(send, { retries: this.options.retries ?? 4, signal });
  }

  private assertReady(): void {
    if (!this.ready) {
      throw new InvalidInputError(`index "${this.collection.name}" is not open: call ensureCollection() first`);
    }
  }
}

function addCandidate(candidates: Map<string, Candidate>, hit: Hit): void {
  const existing = candidates.get(hit._id);
  if (existing === undefined) candidates.set(hit._id, { id: hit._id, source: hit._source ?? {}, scores: {} });
  else if (hit._source) existing.source = { ...hit._source, ...existing.source };
}

/** One signal's list: its search's documents ranked by exact score (ties by id), cut at depth. */
function exactList(hits: readonly Pick<Hit, '_id'>[], candidates: Map<string, Candidate>, signal: Signal, depth: number): RankedList {
  const scored = hits
    .map((hit) => ({ id: hit._id, score: candidates.get(hit._id)?.scores[signal] ?? 0 }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, depth);
  return { ids: scored.map((s) => s.id), scores: scored.map((s) => s.score) };
}

function toHit(id: string, score: number, candidate: Candidate, resolved: ResolvedQuery): QueryHit {
  const source = candidate.source;
  return {
    id,
    score,
    signalScores: { ...candidate.scores },
    ...(resolved.includeText && source.text !== undefined ? { text: source.text } : {}),
    ...(resolved.includeMetadata && source.metadata !== undefined ? { metadata: source.metadata } : {}),
  };
}

function authFromOptions(auth: ElasticStoreOptions['auth']): { auth?: { apiKey: string } | { username: string; password: string } } {
  if (auth !== undefined) return { auth: 'apiKey' in auth ? { apiKey: auth.apiKey } : { username: auth.username, password: auth.password } };
  const apiKey = process.env.ES_API_KEY;
  if (apiKey) return { auth: { apiKey } };
  const username = process.env.ES_USERNAME;
  const password = process.env.ES_PASSWORD;
  if (username && password) return { auth: { username, password } };
  return {};
}

function errorType(error: unknown): string | undefined {
  const body = (error as { meta?: { body?: { error?: { type?: string } } } })?.meta?.body;
  return body?.error?.type;
}

function asM3Error(error: unknown): M3Error {
  return toM3Error(error, 'write');
}
