import {
  resolveCollectionSpec,
  resolveFilter,
  resolveQuery,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Record,
  type M3StoreV1,
  type MetadataFieldType,
  type OperationOptions,
  type QueryResult,
  type ResolvedCollectionSpec,
  type ScannedRecord,
  type ScanOptions,
  type StoreCapabilities,
  type StoredRecord,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import type { QdrantClient } from '@qdrant/js-client-rest';
import { qdrantCapabilities } from './capabilities.js';
import { makeClient } from './client.js';
import { translateValidatedFilter, type QdrantFilter } from './filter-translation.js';
import {
  resolveQdrantOptions,
  type QdrantStoreOptions,
  type ResolvedQdrantOptions,
} from './options.js';
import { planQuery } from './query-plan.js';
import { runQueryPlan } from './query-run.js';
import { getRecords } from './record-reads.js';
import {
  collectionExists,
  describeCollectionOnServer,
  dropCollection,
  ensureCollectionOnServer,
} from './schema.js';
import { scanRecords } from './scan.js';
import {
  featuresForVersion,
  requireQueryApi,
  type QdrantServerFeatures,
} from './server-features.js';
import { QdrantTransport, type QdrantContext } from './transport.js';
import { deleteRecords, upsertRecords } from './write-batches.js';

/**
 * BGE-M3 on Qdrant: one collection with a named dense vector, a named sparse vector and a ColBERT
 * multivector; hybrid queries on the Query API. Works with your own `QdrantClient` (exposed back
 * as `client`, never closed by the store) or a URL and API key. The class only delegates: each
 * job lives in the module of its role (see the package README).
 */
export class QdrantStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly collection: ResolvedCollectionSpec;
  readonly client: QdrantClient;
  private readonly options: ResolvedQdrantOptions;
  private readonly context: QdrantContext;
  private readonly fieldTypes: ReadonlyMap<string, MetadataFieldType>;
  private features: QdrantServerFeatures | undefined;
  private featuresPending: Promise<QdrantServerFeatures> | undefined;

  constructor(options: QdrantStoreOptions) {
    this.collection = resolveCollectionSpec(options.collection);
    this.options = resolveQdrantOptions(options);
    this.client = options.client ?? makeClient(options, this.options);
    const transport = new QdrantTransport(this.client, this.options.write.retry);
    this.context = { collection: this.collection, options: this.options, transport };
    this.fieldTypes = new Map(this.collection.metadataFields.map((f) => [f.name, f.type]));
    if (this.options.serverVersion !== undefined)
      this.features = featuresForVersion(this.options.serverVersion);
  }

  /** What this store does natively and how exact each query mode is (from options and, once known, the server version). */
  get capabilities(): StoreCapabilities {
    return qdrantCapabilities(this.options, this.features);
  }

  /** The server's version and the features the adapter uses (detected once, or the `serverVersion` override). */
  async serverFeatures(options?: OperationOptions): Promise<QdrantServerFeatures> {
    if (this.features) return this.features;
    this.featuresPending ??= this.context.transport
      .call('version', (client) => client.versionInfo(), options?.signal)
      .then(
        (info) => {
          this.features = featuresForVersion(info.version);
          return this.features;
        },
        (error: unknown) => {
          this.featuresPending = undefined;
          throw error;
        },
      );
    return this.featuresPending;
  }

  async ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }> {
    const features = await this.serverFeatures(options);
    requireQueryApi(features);
    return ensureCollectionOnServer(this.context, features, options?.signal);
  }

  upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    return upsertRecords(this.context, records, options);
  }

  delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    return deleteRecords(this.context, ids, options);
  }

  get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    return getRecords(this.context, ids, options);
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    resolveFilter(filter, 'count.filter');
    const qdrantFilter = filter === undefined ? undefined : this.translate(filter);
    const request = { exact: true, ...(qdrantFilter ? { filter: qdrantFilter } : {}) };
    const result = await this.context.transport.retrying(
      'count',
      (client) => client.count(this.collection.name, request),
      options?.signal,
    );
    return result.count;
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    // The spec form: dimensions and unit length are checked too, not only the signals.
    const resolved = resolveQuery(query, this.collection);
    const filter =
      resolved.query.filter === undefined ? undefined : this.translate(resolved.query.filter);
    const features = await this.serverFeatures(options);
    requireQueryApi(features);
    const plan = planQuery({ resolved, options: this.options, features, filter });
    return runQueryPlan(this.context, plan, resolved, options?.signal);
  }

  exists(options?: OperationOptions): Promise<boolean> {
    return collectionExists(this.context, options?.signal);
  }

  /** The spec kept on the server (with its model), so any machine can reopen the collection by name. */
  describeCollection(options?: OperationOptions): Promise<ResolvedCollectionSpec | undefined> {
    return describeCollectionOnServer(this.context, options?.signal);
  }

  scan(options?: ScanOptions): AsyncIterable<readonly ScannedRecord[]> {
    return scanRecords(this.context, this.fieldTypes, options);
  }

  drop(options?: OperationOptions): Promise<void> {
    return dropCollection(this.context, options?.signal);
  }

  /** Nothing to release: the store opens no connections of its own beyond the client's pool. */
  async close(): Promise<void> {}

  /** A filter already validated (by resolveQuery or the caller) as Qdrant's. */
  private translate(filter: Filter): QdrantFilter {
    return translateValidatedFilter(filter, {
      metadataKey: this.options.payloadKeys.metadata,
      fieldTypes: this.fieldTypes,
    });
  }
}
