import type { ResolvedCollectionSpec as DescribedSpec, ScannedRecord } from '@m3kit/core';
import {
  AbortedError,
  BackendError,
  CollectionMismatchError,
  InvalidInputError,
  UnsupportedError,
  batchBySize,
  checkQueryDimensions,
  finishWrite,
  mapWithConcurrency,
  rankCandidates,
  resolveCollectionSpec,
  resolveQuery,
  throwIfAborted,
  validateFilter,
  validateId,
  validateRecord,
  withRetry,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Error,
  type M3Record,
  type M3StoreV1,
  type MetadataFieldType,
  type OperationOptions,
  type QueryHit,
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
import { QdrantClient } from '@qdrant/js-client-rest';
import { qdrantCapabilities } from './capabilities.js';
import { buildCreateCollectionRequest, compareCollection, payloadSchemaType } from './schema.js';
import { isNotFound, toM3Error } from './errors.js';
import { payloadKey, translateFilter, type QdrantFilter } from './filter-translation.js';
import { encodePoint, pointToStoredRecord, preparePoint, type PreparedPoint } from './record-codec.js';
import { pointIdFor } from './point-id.js';
import { planQuery, type QueryPlan } from './query-plan.js';
import { resolveQdrantOptions, type QdrantStoreOptions, type ResolvedQdrantOptions } from './options.js';
import { featuresForVersion, type QdrantServerFeatures } from './server-features.js';

const BACKEND = 'qdrant';
/** Ids per delete or retrieve request (ids are small; this keeps bodies far below any limit). */
const IDS_PER_REQUEST = 1_000;

/**
 * BGE-M3 on Qdrant: one collection with a named dense vector, a named sparse vector and a ColBERT
 * multivector; hybrid queries on the Query API. Works with your own `QdrantClient` (exposed back
 * as `client`, never closed by the store) or a URL and API key.
 */
export class QdrantStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly collection: ResolvedCollectionSpec;
  readonly client: QdrantClient;
  private readonly options: ResolvedQdrantOptions;
  private readonly fieldTypes: ReadonlyMap<string, MetadataFieldType>;
  private features: QdrantServerFeatures | undefined;
  private featuresPending: Promise<QdrantServerFeatures> | undefined;

  constructor(options: QdrantStoreOptions) {
    this.collection = resolveCollectionSpec(options.collection);
    this.options = resolveQdrantOptions(options);
    this.client = options.client ?? makeClient(options);
    this.fieldTypes = new Map(this.collection.metadataFields.map((f) => [f.name, f.type]));
    if (this.options.serverVersion !== undefined) this.features = featuresForVersion(this.options.serverVersion);
  }

  /** What this store does natively and how exact each query mode is (from options and, once known, the server version). */
  get capabilities(): StoreCapabilities {
    return qdrantCapabilities(this.options, this.features);
  }

  /** The server's version and the features the adapter uses (detected once, or the `serverVersion` override). */
  async serverFeatures(options?: OperationOptions): Promise<QdrantServerFeatures> {
    if (this.features) return this.features;
    this.featuresPending ??= this.call('version', () => this.client.versionInfo(), options?.signal).then(
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
    const signal = options?.signal;
    const features = await this.serverFeatures(options);
    if (!features.queryApi) {
      throw new UnsupportedError({ backend: BACKEND, feature: `Qdrant ${features.version}`, message: 'm3kit needs the Query API (Qdrant >= 1.10)' });
    }
    const name = this.collection.name;
    const { exists } = await this.call('collection exists', () => this.client.collectionExists(name), signal);
    let created = false;
    if (!exists) {
      try {
        await this.call('create collection', () => this.client.createCollection(name, buildCreateCollectionRequest(this.collection, this.options)), signal);
        created = true;
      } catch (error) {
        // Another writer may have created it between our check and our create: validate theirs.
        if (!(BackendError.isInstance(error) && error.statusCode === 409)) throw error;
      }
    }
    const info = await this.call('get collection', () => this.client.getCollection(name), signal);
    const { differences, missingIndexes } = compareCollection(info, this.collection, this.options);
    if (differences.length > 0) throw new CollectionMismatchError({ backend: BACKEND, collection: name, differences });
    for (const field of missingIndexes) {
      await this.call(
        `create payload index ${field.name}`,
        () =>
          this.client.createPayloadIndex(name, {
            field_name: payloadKey(field.name, { metadataKey: this.options.payloadKeys.metadata }),
            field_schema: payloadSchemaType(field.type),
            wait: true,
          }),
        signal,
      );
    }
    return { created };
  }

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    const failed: WriteFailure[] = [];
    const written: string[] = [];
    // Last occurrence wins, as if the records were written one after another; batches run
    // concurrently, so two copies of an id must never travel in different batches.
    const latest = new Map<string, PreparedPoint>();
    const accepted: string[] = [];
    for (const record of records) {
      try {
        validateRecord(record, this.collection);
        latest.set(record.id, preparePoint(record, this.collection, this.options));
        accepted.push(record.id);
      } catch (error) {
        failed.push({ id: String((record as { id?: unknown } | undefined)?.id), error: toM3Error(error, 'upsert') });
      }
    }
    const points = [...latest.values()];
    const batches = batchBySize(points, (p) => p.bytes, {
      maxBytes: this.options.write.maxBatchBytes,
      maxItems: this.options.write.maxBatchPoints,
    });
    const failedIds = new Set<string>();
    await mapWithConcurrency(
      batches,
      this.options.write.concurrency,
      async (batch) => {
        for (const failure of await this.writeBatch(batch, options)) {
          failed.push(failure);
          failedIds.add(failure.id);
        }
      },
      options?.signal,
    );
    for (const id of accepted) if (!failedIds.has(id)) written.push(id);
    return finishWrite(BACKEND, { written, failed }, options);
  }

  /**
   * Sends one batch, retrying retryable failures. A batch the server rejects outright is split
   * in halves until the failing points are isolated, so one bad record does not fail its neighbours.
   */
  private async writeBatch(batch: readonly PreparedPoint[], options: WriteOptions | undefined): Promise<WriteFailure[]> {
    try {
      const points = batch.map((p) => encodePoint(p, this.collection, this.options));
      await this.retrying('upsert', () => this.client.upsert(this.collection.name, { wait: options?.wait ?? true, points }), options?.signal);
      return [];
    } catch (error) {
      if (AbortedError.isInstance(error)) throw error;
      const m3Error = toM3Error(error, 'upsert');
      const splittable = BackendError.isInstance(m3Error) && !m3Error.isRetryable && m3Error.statusCode !== undefined &&
        m3Error.statusCode >= 400 && m3Error.statusCode < 500 && m3Error.statusCode !== 404;
      if (batch.length > 1 && splittable) {
        const middle = Math.ceil(batch.length / 2);
        return [
          ...(await this.writeBatch(batch.slice(0, middle), options)),
          ...(await this.writeBatch(batch.slice(middle), options)),
        ];
      }
      return batch.map((p) => ({ id: p.record.id, error: m3Error }));
    }
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    ids.forEach((id) => validateId(id));
    const failed: WriteFailure[] = [];
    const written: string[] = [];
    const chunks = chunk([...new Set(ids)], IDS_PER_REQUEST);
    await mapWithConcurrency(
      chunks,
      this.options.write.concurrency,
      async (part) => {
        try {
          await this.retrying(
            'delete',
            () => this.client.delete(this.collection.name, { wait: options?.wait ?? true, points: part.map((id) => this.pointId(id)) }),
            options?.signal,
          );
          written.push(...part);
        } catch (error) {
          if (AbortedError.isInstance(error)) throw error;
          const m3Error = toM3Error(error, 'delete');
          failed.push(...part.map((id) => ({ id, error: m3Error })));
        }
      },
      options?.signal,
    );
    return finishWrite(BACKEND, { written, failed }, options);
  }

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    ids.forEach((id) => validateId(id));
    const found = await this.retrieve([...new Set(ids)], options?.includeEmbedding ?? false, options?.signal);
    return ids.flatMap((id) => {
      const record = found.get(id);
      return record ? [record] : [];
    });
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    const qdrantFilter = filter === undefined ? undefined : this.translate(filter);
    const result = await this.retrying(
      'count',
      () => this.client.count(this.collection.name, { exact: true, ...(qdrantFilter ? { filter: qdrantFilter } : {}) }),
      options?.signal,
    );
    return result.count;
  }

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    const resolved = resolveQuery(query, this.collection.signals);
    checkQueryDimensions(query.embedding, this.collection);
    const filter = resolved.query.filter === undefined ? undefined : this.translate(resolved.query.filter);
    const features = await this.serverFeatures(options);
    if (!features.queryApi) {
      throw new UnsupportedError({ backend: BACKEND, feature: `Qdrant ${features.version}`, message: 'm3kit needs the Query API (Qdrant >= 1.10)' });
    }
    const plan = planQuery({ resolved, options: this.options, features, filter });
    const hits = plan.kind === 'server' ? await this.runServerPlan(plan, resolved, options) : await this.runClientPlan(plan, resolved, options);
    return {
      hits,
      execution: {
        fusion: plan.kind === 'server' ? plan.fusion : 'client',
        colbert: resolved.signals.includes('colbert') ? 'native' : 'none',
        description: plan.description,
      },
      warnings: plan.warnings,
    };
  }

  // Placeholders until the adapter implements the sync contract (issues 12 and 16).
  async exists(): Promise<boolean> {
    throw new UnsupportedError({ backend: 'qdrant', feature: 'exists', message: 'not implemented yet' });
  }

  async describeCollection(): Promise<DescribedSpec | undefined> {
    throw new UnsupportedError({ backend: 'qdrant', feature: 'describeCollection', message: 'not implemented yet' });
  }

  // eslint-disable-next-line require-yield
  async *scan(): AsyncIterable<readonly ScannedRecord[]> {
    throw new UnsupportedError({ backend: 'qdrant', feature: 'scan', message: 'not implemented yet' });
  }

  async drop(options?: OperationOptions): Promise<void> {
    try {
      await this.call('drop collection', () => this.client.deleteCollection(this.collection.name), options?.signal);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Nothing to release: the store opens no connections of its own beyond the client's pool. */
  async close(): Promise<void> {}

  private async runServerPlan(
    plan: Extract<QueryPlan, { kind: 'server' }>,
    resolved: ResolvedQuery,
    options: OperationOptions | undefined,
  ): Promise<QueryHit[]> {
    const response = await this.retrying('query', () => this.client.query(this.collection.name, plan.request), options?.signal);
    const colbertRows = resolved.query.embedding.colbert?.rows ?? 1;
    const hits: QueryHit[] = [];
    for (const point of response.points) {
      const record = pointToStoredRecord(point, this.options, false);
      if (!record) continue; // not an m3kit point (no document id in its payload)
      // Qdrant's MaxSim is the undivided sum over query rows; core's colbert_score divides.
      const score = plan.single === 'colbert' ? point.score / colbertRows : point.score;
      hits.push({
        id: record.id,
        score,
        signalScores: plan.single ? { [plan.single]: score } : {},
        ...this.contentOf(record, resolved),
      });
    }
    return hits;
  }

  private async runClientPlan(
    plan: Extract<QueryPlan, { kind: 'lists' | 'rescore' }>,
    resolved: ResolvedQuery,
    options: OperationOptions | undefined,
  ): Promise<QueryHit[]> {
    const responses = await this.retrying(
      'query',
      () => this.client.queryBatch(this.collection.name, { searches: plan.requests.map((r) => r.request) }),
      options?.signal,
    );
    // Keyed by point id: candidates come without payload. (Ties therefore break by point id
    // here, where the exact store breaks them by document id: equal scores either way.)
    const colbertRows = resolved.query.embedding.colbert?.rows ?? 1;
    const scores = new Map<string, Partial<Record<Signal, number>>>();
    const lists: Partial<Record<Signal, RankedList>> = {};
    plan.requests.forEach(({ signal }, i) => {
      const ids: string[] = [];
      const listScores: number[] = [];
      for (const point of responses[i]?.points ?? []) {
        const id = String(point.id);
        const score = signal === 'colbert' ? point.score / colbertRows : point.score;
        ids.push(id);
        listScores.push(score);
        scores.set(id, { ...scores.get(id), [signal]: score });
      }
      lists[signal] = { ids, scores: listScores };
    });
    if (plan.kind === 'rescore' && resolved.signals.includes('sparse')) {
      // The sparse rescoring leaves out candidates sharing no token with the query: their
      // lexical matching score is exactly 0.
      for (const perSignal of scores.values()) perSignal.sparse ??= 0;
    }
    const ranked = rankCandidates(resolved, scores, plan.kind === 'lists' ? lists : undefined);
    const records = await this.retrieveByPointIds(ranked.map((h) => h.id), false, options?.signal);
    const hits: QueryHit[] = [];
    for (const { id: pointId, score } of ranked) {
      const record = records.get(pointId);
      if (!record) continue; // deleted since it was ranked
      hits.push({
        id: record.id,
        score,
        signalScores: plan.kind === 'rescore' ? (scores.get(pointId) ?? {}) : {},
        ...this.contentOf(record, resolved),
      });
    }
    return hits;
  }

  private contentOf(record: StoredRecord, resolved: ResolvedQuery): Pick<QueryHit, 'text' | 'metadata'> {
    return {
      ...(resolved.includeText && record.text !== undefined ? { text: record.text } : {}),
      ...(resolved.includeMetadata && record.metadata !== undefined ? { metadata: record.metadata } : {}),
    };
  }

  /** Records by document id (ids already unique), in batches. */
  private async retrieve(ids: readonly string[], includeEmbedding: boolean, signal: AbortSignal | undefined): Promise<Map<string, StoredRecord>> {
    const byPoint = await this.retrieveByPointIds(ids.map((id) => this.pointId(id)), includeEmbedding, signal);
    return new Map([...byPoint.values()].map((record) => [record.id, record]));
  }

  /** Records by point id, keyed by point id. */
  private async retrieveByPointIds(
    pointIds: readonly string[],
    includeEmbedding: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, StoredRecord>> {
    const found = new Map<string, StoredRecord>();
    const keys = this.options.payloadKeys;
    for (const part of chunk(pointIds, IDS_PER_REQUEST)) {
      const points = await this.retrying(
        'retrieve',
        () =>
          this.client.retrieve(this.collection.name, {
            ids: [...part],
            with_payload: [keys.id, keys.text, keys.metadata],
            with_vector: includeEmbedding ? this.storedVectorNames() : false,
          }),
        signal,
      );
      for (const point of points) {
        const record = pointToStoredRecord(point, this.options, includeEmbedding);
        if (record) found.set(String(point.id), record);
      }
    }
    return found;
  }

  private storedVectorNames(): string[] {
    return this.collection.signals.map((signal) => this.options.vectorNames[signal]);
  }

  private pointId(documentId: string): string {
    return pointIdFor(documentId, this.options.pointIdNamespace);
  }

  private translate(filter: Filter): QdrantFilter {
    validateFilter(filter);
    return translateFilter(filter, { metadataKey: this.options.payloadKeys.metadata, fieldTypes: this.fieldTypes });
  }

  /** One request with retries on retryable failures (all Qdrant reads and idempotent writes). */
  private retrying<T>(operation: string, work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return withRetry(() => this.call(operation, work, signal), {
      retries: this.options.write.retries,
      baseDelayMs: this.options.write.baseDelayMs,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * One request, its errors translated. The client's own timeout replaces any AbortSignal on the
   * underlying fetch, so an abort stops waiting here (the request itself may still complete).
   */
  private async call<T>(operation: string, work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    throwIfAborted(signal, operation);
    try {
      return await abortable(work(), signal, operation);
    } catch (error) {
      throw toM3Error(error, operation);
    }
  }
}

function makeClient(options: QdrantStoreOptions): QdrantClient {
  const url = options.url ?? process.env['QDRANT_URL'];
  if (!url) {
    throw new InvalidInputError('qdrant: pass `client` or `url`, or set QDRANT_URL');
  }
  const apiKey = options.apiKey ?? process.env['QDRANT_API_KEY'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidInputError(`qdrant: url is not a URL`, { cause: error });
  }
  // The client drops a URL's path unless it is passed as `prefix` (e.g. behind a reverse proxy).
  const prefix = parsed.pathname.replace(/\/+$/, '');
  return new QdrantClient({
    url: `${parsed.protocol}//${parsed.host}`,
    ...(prefix ? { prefix } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
    ...(options.keepAlive === false ? { headers: { connection: 'close' } } : {}),
    checkCompatibility: false,
  });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, operation: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      throwIfAbortedInto(reject, signal, operation);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function throwIfAbortedInto(reject: (error: M3Error) => void, signal: AbortSignal, operation: string): void {
  try {
    throwIfAborted(signal, operation);
  } catch (error) {
    reject(error as M3Error);
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
