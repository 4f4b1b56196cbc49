import type { Client } from '@elastic/elasticsearch';
import {
  BackendError,
  InvalidInputError,
  UnsupportedError,
  resolveScanOptions,
  finishWrite,
  resolveQuery,
  throwIfAborted,
  validateId,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Record,
  type M3StoreV1,
  type MetadataFieldType,
  type OperationOptions,
  type QueryResult,
  type ResolvedCollectionSpec,
  type ScanOptions,
  type ScannedRecord,
  type StoreCapabilities,
  type StoredRecord,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import { chunk } from '@m3kit/core/adapter';
import { elasticCapabilities } from './capabilities.js';
import { createClient, type ElasticClient } from './client.js';
import { BACKEND, elasticErrorType } from './errors.js';
import { filterClause, translateFilter, type QueryClause } from './filter-translation.js';
import {
  resolveOptions,
  type ElasticStoreOptions,
  type ResolvedElasticOptions,
} from './options.js';
import { rescoreOversample, sourceFields } from './query-plan.js';
import { runExactQuery, runServerQuery, type RunContext } from './query-run.js';
import { decodeDocument, type ElasticSource } from './record-codec.js';
import { FIELDS, describeIndex, ensureIndex } from './schema.js';
import { scanRecords } from './scan.js';
import { detectClusterFeatures, featuresFrom, type ClusterFeatures } from './server-features.js';
import { ElasticTransport } from './transport.js';
import { prepareDeletes, prepareUpserts, runBulk, type PreparedWrite } from './write-batches.js';
import { releaseIdleColbertPool } from './maxsim/colbert-pool.js';

export { SPARSE_RELATIVE_ERROR } from './query-run.js';

const MGET_CHUNK = 500;

interface MgetDoc {
  readonly _id: string;
  readonly found?: boolean;
  readonly _source?: ElasticSource;
  readonly fields?: Record<string, string[]>;
}

/**
 * BGE-M3 on Elasticsearch: dense_vector (kNN), sparse_vector (per-token term queries) and ColBERT
 * (stored compactly, rescored on the client by a WebAssembly SIMD kernel), implementing core's
 * M3StoreV1. See README.md for the mapping and the measured precision of each path.
 */
export class ElasticStore<C extends ElasticClient = Client> implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  /** The client the store talks through: yours, or the one it made. */
  readonly client: C;
  readonly collection: ResolvedCollectionSpec;
  readonly capabilities: StoreCapabilities;
  private readonly ownsClient: boolean;
  private readonly settings: ResolvedElasticOptions;
  private readonly transport: ElasticTransport;
  private readonly fieldTypes: ReadonlyMap<string, MetadataFieldType>;
  private features: ClusterFeatures | undefined;
  private ready = false;

  constructor(options: ElasticStoreOptions<C>) {
    this.settings = resolveOptions(options);
    this.collection = this.settings.collection;
    this.fieldTypes = new Map(
      this.collection.metadataFields.map((field) => [field.name, field.type]),
    );
    const { client, ownsClient } = createClient(options, this.settings.timeoutMs);
    this.client = client;
    this.ownsClient = ownsClient;
    this.transport = new ElasticTransport(
      client,
      this.collection.name,
      this.settings.write.retry,
      this.settings.timeoutMs,
    );
    this.capabilities = elasticCapabilities(this.settings);
  }

  /** What the cluster offers (after ensureCollection), overrides applied. */
  get clusterFeatures(): ClusterFeatures | undefined {
    return this.features;
  }

  async ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }> {
    const signal = options?.signal;
    throwIfAborted(signal, 'ensureCollection');
    await this.detectFeatures(signal);
    const result = await ensureIndex(
      this.transport,
      this.settings.layout,
      this.settings.indexSettings,
      signal,
    );
    this.ready = true;
    return result;
  }

  private async detectFeatures(signal?: AbortSignal): Promise<ClusterFeatures> {
    if (this.features === undefined) {
      const override = this.settings.clusterFeatures;
      const detected =
        override.version !== undefined &&
        override.license !== undefined &&
        override.modules !== undefined
          ? featuresFrom(override.version, override.modules, override.license)
          : await detectClusterFeatures(this.client, signal);
      this.features = { ...detected, ...override };
      const dense = this.settings.layout.dense.type;
      if (
        this.collection.signals.includes('dense') &&
        dense.startsWith('bbq') &&
        !this.features.bbq
      ) {
        throw new UnsupportedError({
          backend: BACKEND,
          feature: `dense index type ${dense}`,
          message: `needs Elasticsearch 8.16+, cluster is ${this.features.version}`,
        });
      }
    }
    return this.features;
  }

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    this.assertReady();
    return this.write(prepareUpserts(records, this.collection, this.settings.layout), options);
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    this.assertReady();
    return this.write(prepareDeletes(ids), options);
  }

  private async write(prepared: PreparedWrite, options?: WriteOptions): Promise<WriteReport> {
    const refresh = options?.wait === false ? 'false' : this.settings.refresh;
    const sent = await runBulk(
      this.transport,
      prepared.items,
      this.settings.write,
      refresh,
      options?.signal,
    );
    return finishWrite(
      BACKEND,
      { written: sent.written, failed: [...prepared.failed, ...sent.failed] },
      options,
    );
  }

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    this.assertReady();
    ids.forEach((id) => {
      validateId(id);
    });
    const withEmbedding = options?.includeEmbedding === true;
    const includes = sourceFields(
      this.collection,
      true,
      true,
      withEmbedding ? this.collection.signals.filter((s) => s !== 'colbert') : [],
    );
    const colbert = withEmbedding && this.collection.signals.includes('colbert');
    const found: StoredRecord[] = [];
    const querystring = {
      _source_includes: includes.join(','),
      ...(colbert ? { stored_fields: FIELDS.colbert } : {}),
    };
    for (const part of chunk(ids, MGET_CHUNK)) {
      const body = { ids: part };
      const response = await this.transport.request<{ docs: MgetDoc[] }>(
        { method: 'POST', path: '/_mget', what: 'get', body, querystring },
        options?.signal,
      );
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
    const body =
      filter === undefined
        ? undefined
        : { query: { bool: { filter: [this.filterClause(filter, 'count.filter')] } } };
    const response = await this.transport.request<{ count: number }>(
      { method: 'POST', path: '/_count', what: 'count', body },
      options?.signal,
    );
    return response.count;
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    const signal = options?.signal;
    throwIfAborted(signal, 'query');
    this.assertReady();
    // Core's shared validation: embedding (finite, dimensions, unit length), fusion, weights, topK, filter.
    const resolved = resolveQuery(query, this.collection);
    const filter =
      resolved.query.filter === undefined
        ? undefined
        : translateFilter(resolved.query.filter, this.fieldTypes);
    const context = this.runContext(filter);
    return this.settings.scoring === 'server'
      ? runServerQuery(resolved, context, signal)
      : runExactQuery(resolved, context, signal);
  }

  /** Whether the index exists (HEAD on it); creates nothing. */
  async exists(options?: OperationOptions): Promise<boolean> {
    throwIfAborted(options?.signal, 'exists');
    try {
      // The client's transport answers a HEAD with true, or false for a 404.
      return (
        (await this.transport.request<unknown>(
          { method: 'HEAD', path: '', what: 'check the index' },
          options?.signal,
        )) !== false
      );
    } catch (error) {
      if (BackendError.isInstance(error) && error.statusCode === 404) return false;
      throw error;
    }
  }

  /** The spec kept in the index mapping's `_meta` (any machine can reopen it); undefined when there is no index. */
  async describeCollection(
    options?: OperationOptions,
  ): Promise<ResolvedCollectionSpec | undefined> {
    throwIfAborted(options?.signal, 'describeCollection');
    return describeIndex(this.transport, this.collection.name, options?.signal);
  }

  /** Ids and metadata of every document within the filter, a point-in-time page at a time (see scan.ts). */
  async *scan(options?: ScanOptions): AsyncIterable<readonly ScannedRecord[]> {
    const scan = resolveScanOptions(options);
    throwIfAborted(scan.signal, 'scan');
    this.assertReady();
    const filter =
      scan.filter === undefined ? undefined : translateFilter(scan.filter, this.fieldTypes);
    yield* scanRecords(this.transport, {
      filter,
      pageSize: scan.pageSize,
      ...(scan.signal ? { signal: scan.signal } : {}),
    });
  }

  async drop(options?: OperationOptions): Promise<void> {
    throwIfAborted(options?.signal, 'drop');
    try {
      await this.transport.request(
        { method: 'DELETE', path: '', what: 'drop', retry: false },
        options?.signal,
      );
    } catch (error) {
      if (elasticErrorType(error) !== 'index_not_found_exception') throw error;
    }
    this.ready = false;
  }

  async close(): Promise<void> {
    this.ready = false;
    await releaseIdleColbertPool();
    if (this.ownsClient) await this.client.close();
  }

  private runContext(filter: QueryClause | undefined): RunContext {
    const { layout, numCandidatesFactor, colbertKernel, colbertThreads, write } = this.settings;
    return {
      transport: this.transport,
      collection: this.collection,
      layout,
      numCandidatesFactor,
      rescoreOversample: rescoreOversample(
        layout,
        this.settings.rescoreOversample,
        this.features?.knnRescoreVector === true,
      ),
      filter,
      colbertKernel,
      colbertThreads,
      maxBatchBytes: write.maxBatchBytes,
    };
  }

  private filterClause(filter: Filter, path: string): QueryClause {
    return filterClause(filter, this.fieldTypes, path);
  }

  private assertReady(): void {
    if (!this.ready)
      throw new InvalidInputError(
        `index "${this.collection.name}" is not open: call ensureCollection() first`,
      );
  }
}
