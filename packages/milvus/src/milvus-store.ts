import {
  checkQueryDimensions,
  resolveFilter,
  resolveQuery,
  throwIfAborted,
  validateId,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Record,
  type M3StoreV1,
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
import type { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { milvusCapabilities } from './capabilities.js';
import { openClient } from './client.js';
import { colbertCollectionName } from './collection-layout.js';
import { filterToExpression } from './filter-translation.js';
import {
  resolveMilvusOptions,
  type MilvusStoreOptions,
  type ResolvedMilvusOptions,
} from './options.js';
import type { QueryTargets } from './query-plan.js';
import { QueryRun, buildHits } from './query-run.js';
import { getRecords } from './record-reads.js';
import { scanRecords } from './scan.js';
import { describeSpec, dropCollections, ensureCollections } from './schema.js';
import { collectionExists } from './server-features.js';
import { queryRows, type RequestContext } from './transport.js';
import { WriteQueue, deleteRecords, upsertRecords } from './write-batches.js';

export type { MilvusStoreOptions } from './options.js';

/**
 * BGE-M3 on Milvus: one collection with a dense FLOAT_VECTOR and a SPARSE_FLOAT_VECTOR (both
 * inner product), metadata as JSON, text as VarChar chunks, and a companion collection with one
 * row per ColBERT token vector, scored exactly with grouped searches (see colbert-search.ts).
 * The class delegates: each concern lives in the file of its name (README "Source layout").
 */
export class MilvusStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: StoreCapabilities;
  readonly collection: ResolvedCollectionSpec;
  readonly client: MilvusClient;
  private readonly ownsClient: boolean;
  private readonly options: ResolvedMilvusOptions;
  /** Serialises this store's write calls (see write-batches.ts). */
  private readonly writes = new WriteQueue();

  constructor(options: MilvusStoreOptions) {
    this.options = resolveMilvusOptions(options);
    this.collection = this.options.collection;
    const opened = openClient(options, this.options.timeoutMs);
    this.client = opened.client;
    this.ownsClient = opened.owned;
    this.capabilities = milvusCapabilities({
      signals: this.collection.signals,
      denseIndex: this.options.denseIndex,
      colbertIndex: this.options.colbertIndex,
      colbertVectorType: this.options.colbertVectorType,
      nativeRrf: this.options.nativeRrf,
      accuracy: this.options.accuracy,
    });
  }

  private context(signal?: AbortSignal): RequestContext {
    return { client: this.client, retry: this.options.write.retry, signal };
  }

  // ---------------------------------------------------------------- collection

  async ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }> {
    throwIfAborted(options?.signal, 'ensureCollection');
    return ensureCollections(this.context(options?.signal), this.options);
  }

  /** Whether the main collection exists (see server-features.ts: not the SDK's hasCollection). */
  async exists(options?: OperationOptions): Promise<boolean> {
    throwIfAborted(options?.signal, 'exists');
    return collectionExists(this.context(options?.signal), this.collection.name);
  }

  async describeCollection(
    options?: OperationOptions,
  ): Promise<ResolvedCollectionSpec | undefined> {
    throwIfAborted(options?.signal, 'describeCollection');
    return describeSpec(this.context(options?.signal), this.collection.name);
  }

  scan(options?: ScanOptions): AsyncIterable<readonly ScannedRecord[]> {
    return scanRecords(this.context(options?.signal), this.collection, options);
  }

  async drop(options?: OperationOptions): Promise<void> {
    throwIfAborted(options?.signal, 'drop');
    await dropCollections(this.context(options?.signal), this.collection.name);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.closeConnection();
  }

  // ---------------------------------------------------------------- writes

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    return upsertRecords(
      this.context(options?.signal),
      this.collection,
      this.options.write,
      this.writes,
      records,
      options,
    );
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    return deleteRecords(
      this.context(options?.signal),
      this.collection,
      this.options.write,
      this.writes,
      ids,
      options,
    );
  }

  // ---------------------------------------------------------------- reads

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    for (const id of ids) validateId(id);
    return getRecords(
      this.context(options?.signal),
      this.collection,
      ids,
      options?.includeEmbedding === true,
    );
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    throwIfAborted(options?.signal, 'count');
    const checked = resolveFilter(filter, 'count.filter');
    const expression = checked === undefined ? '' : filterToExpression(checked);
    const rows = await queryRows(this.context(options?.signal), this.collection.name, expression, [
      'count(*)',
    ]);
    return Number(rows[0]?.['count(*)'] ?? 0);
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    const resolved = resolveQuery(query, this.collection);
    checkQueryDimensions(query.embedding, this.collection);
    throwIfAborted(options?.signal, 'query');
    const context = this.context(options?.signal);
    const filter = query.filter === undefined ? '' : filterToExpression(query.filter);
    const ranked = await new QueryRun(context, this.queryTargets(), resolved, filter).execute();
    const hits = await buildHits(context, this.collection, resolved, ranked);
    return { hits, execution: ranked.execution, warnings: ranked.warnings };
  }

  private queryTargets(): QueryTargets {
    const { denseIndex, colbertIndex, colbertSearchDepth, nativeRrf } = this.options;
    return {
      main: this.collection.name,
      dense: denseIndex.searchParams ?? {},
      colbert: {
        collection: colbertCollectionName(this.collection.name),
        params: colbertIndex.searchParams ?? {},
        firstDepth: colbertSearchDepth,
      },
      nativeRrf,
    };
  }
}
