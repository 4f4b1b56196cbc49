import type { ResolvedCollectionSpec as DescribedSpec, ScannedRecord } from '@m3kit/core';
import {
  UnsupportedError,
  ALL_FILTER_OPS,
  AbortedError,
  CollectionMismatchError,
  InvalidInputError,
  batchBySize,
  checkQueryDimensions,
  estimateRecordJsonBytes,
  finishWrite,
  mapWithConcurrency,
  rankCandidates,
  resolveCollectionSpec,
  resolveQuery,
  throwIfAborted,
  validateId,
  validateRecord,
  type CandidateScores,
  type CollectionSpec,
  type Filter,
  type GetOptions,
  type HybridQuery,
  type M3Embedding,
  type M3Error,
  type M3Record,
  type M3StoreV1,
  type Metadata,
  type ModeAccuracy,
  type OperationOptions,
  type QueryExecution,
  type QueryHit,
  type QueryMode,
  type QueryResult,
  type RankedList,
  type ResolvedCollectionSpec,
  type ResolvedQuery,
  type RetryOptions,
  type Signal,
  type StoreCapabilities,
  type StoredRecord,
  type WriteFailure,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import { ConsistencyLevelEnum, MilvusClient, type RowData } from '@zilliz/milvus2-sdk-node';
import { colbertScores, colbertTop, type ColbertSearchTarget } from './colbert-search.js';
import { sparseFromDict, sparseToDict, textFromChunks, textToChunks } from './record-codec.js';
import { BACKEND, toM3Error } from './errors.js';
import { filterTermsOf, filterToExpression, inList, numericMetadataOf } from './filter-translation.js';
import {
  IDS_PER_EXPRESSION,
  MILVUS_MAX_LIMIT,
  byScoreThenId,
  chunk,
  queryRows,
  request,
  restrictTo,
  searchVectors,
  type RequestContext,
  type ScoredId,
} from './transport.js';
import {
  COLBERT_FIELDS,
  FIELDS,
  FLAT_INDEX,
  colbertCollectionName,
  colbertCollectionRequest,
  colbertRowKey,
  documentKey,
  compareColbertCollection,
  compareMainCollection,
  mainCollectionRequest,
  type DescribedCollection,
  type DescribedIndex,
  type IndexChoice,
} from './schema.js';

export interface MilvusStoreOptions {
  /** Your own client; the store never closes it. Without it, `address` (or MILVUS_ADDRESS) is used. */
  readonly client?: MilvusClient;
  /** `host:port` (or `unix:/path.sock` for a Milvus Lite socket); default: env MILVUS_ADDRESS. */
  readonly address?: string;
  /** Default: env MILVUS_TOKEN. Never logged. */
  readonly token?: string;
  readonly database?: string;
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

const DEFAULT_MAX_BATCH_BYTES = 16_000_000;
/** Floats a write request carries by default (see `rowsPerRequest`). */
const FLOATS_PER_REQUEST = 32_768;
/** Server scores are float32 dot products; the exact store sums in float64. */
const SCORE_TOLERANCE = 1e-5;
/** Approximate indexes promise no exact top-k; this is the bound declared unless the caller measures another. */
const APPROXIMATE_RECALL = 0.9;

/**
 * BGE-M3 on Milvus: one collection with a dense FLOAT_VECTOR and a SPARSE_FLOAT_VECTOR (both
 * inner product), metadata as JSON, text as VarChar chunks, and a companion collection with one
 * row per ColBERT token vector, scored exactly with grouped searches (see colbert-search.ts).
 */
export class MilvusStore implements M3StoreV1 {
  readonly specificationVersion = 'v1' as const;
  readonly capabilities: StoreCapabilities;
  readonly collection: ResolvedCollectionSpec;
  readonly client: MilvusClient;
  private readonly ownsClient: boolean;
  /** Serialises this store's write calls (see `exclusive`). */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private readonly denseIndex: IndexChoice;
  private readonly colbertIndex: IndexChoice;
  private readonly maxBatchBytes: number;
  private readonly concurrency: number;
  private readonly rowsPerRequest: number;
  private readonly colbertSearchDepth: number;
  private readonly retry: Omit<RetryOptions, 'signal'>;
  private readonly nativeRrf: boolean;
  private readonly colbertName: string;

  constructor(options: MilvusStoreOptions) {
    this.collection = resolveCollectionSpec(options.collection);
    if (options.client !== undefined) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      const address = options.address ?? process.env['MILVUS_ADDRESS'];
      if (address === undefined || address.length === 0) {
        throw new InvalidInputError('MilvusStore needs a client, an address, or MILVUS_ADDRESS in the environment');
      }
      const token = options.token ?? process.env['MILVUS_TOKEN'];
      this.client = new MilvusClient({
        address,
        ...(token ? { token } : {}),
        ...(options.database ? { database: options.database } : {}),
        logLevel: 'error',
      });
      this.ownsClient = true;
    }
    this.denseIndex = options.denseIndex ?? FLAT_INDEX;
    this.colbertIndex = options.colbertIndex ?? FLAT_INDEX;
    this.maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.rowsPerRequest = Math.max(1, options.rowsPerRequest ?? Math.floor(FLOATS_PER_REQUEST / this.collection.denseDimension));
    this.colbertSearchDepth = Math.min(MILVUS_MAX_LIMIT, Math.max(1, options.colbertSearchDepth ?? 1_024));
    this.retry = options.retry ?? {};
    this.nativeRrf = options.nativeRrf ?? true;
    this.colbertName = colbertCollectionName(this.collection.name);
    this.capabilities = this.declareCapabilities(options.accuracy);
  }

  private declareCapabilities(overrides: MilvusStoreOptions['accuracy']): StoreCapabilities {
    const denseExact = this.denseIndex.type.toUpperCase() === 'FLAT';
    const colbertExact = this.colbertIndex.type.toUpperCase() === 'FLAT';
    const approximate: ModeAccuracy = { minRecallAt10: APPROXIMATE_RECALL };
    const fused = denseExact && colbertExact ? 'exact' : approximate;
    return {
      backend: BACKEND,
      signals: this.collection.signals,
      nativeFusion: this.nativeRrf ? ['rrf'] : [],
      nativeColbert: false,
      filterOps: ALL_FILTER_OPS,
      accuracy: {
        dense: denseExact ? 'exact' : approximate,
        // SPARSE_INVERTED_INDEX with drop ratios of 0 is an exhaustive inner product.
        sparse: 'exact',
        colbert: colbertExact ? 'exact' : approximate,
        weighted: fused,
        rrf: fused,
        dbsf: fused,
        ...overrides,
      },
      scoreTolerance: SCORE_TOLERANCE,
      maxBatchBytes: this.maxBatchBytes,
    };
  }

  private context(signal?: AbortSignal): RequestContext {
    return { client: this.client, retry: this.retry, signal };
  }

  private get hasColbert(): boolean {
    return this.collection.signals.includes('colbert');
  }

  // ---------------------------------------------------------------- collection

  async ensureCollection(options?: OperationOptions): Promise<{ readonly created: boolean }> {
    throwIfAborted(options?.signal, 'ensureCollection');
    const context = this.context(options?.signal);
    let created = false;
    if (await this.collectionExists(context, this.collection.name)) {
      await this.validateExisting(context);
    } else {
      try {
        await request(context, `create collection ${this.collection.name}`, () =>
          this.client.createCollection(mainCollectionRequest(this.collection, this.denseIndex)),
        );
        if (this.hasColbert) {
          await request(context, `create collection ${this.colbertName}`, () =>
            this.client.createCollection(colbertCollectionRequest(this.collection, this.colbertIndex)),
          );
        }
        created = true;
      } catch (error) {
        // Another writer may have created it a moment ago: then it must match.
        if (!(await this.collectionExists(context, this.collection.name))) throw error;
        await this.validateExisting(context);
      }
    }
    for (const name of this.hasColbert ? [this.collection.name, this.colbertName] : [this.collection.name]) {
      await request(context, `load collection ${name}`, () => this.client.loadCollectionSync({ collection_name: name }));
    }
    return { created };
  }

  /**
   * Whether a collection exists. Not `hasCollection`: the SDK answers it from DescribeCollection's
   * `error_code` alone, which Milvus Lite sets to "Success" even for a missing collection (its
   * `code` says 100), so it always says yes there.
   */
  private async collectionExists(context: RequestContext, name: string): Promise<boolean> {
    const response = await request(context, 'list collections', () => this.client.listCollections());
    const names = (response.data ?? []).map((c) => c.name);
    return names.includes(name);
  }

  private async validateExisting(context: RequestContext): Promise<void> {
    const differences = compareMainCollection(
      this.collection,
      await this.describe(context, this.collection.name),
      await this.describeIndexes(context, this.collection.name),
    );
    const colbertExists = await this.collectionExists(context, this.colbertName);
    if (this.hasColbert && !colbertExists) {
      differences.push(`ColBERT collection ${this.colbertName}: missing`);
    } else if (this.hasColbert) {
      differences.push(
        ...compareColbertCollection(
          this.collection,
          await this.describe(context, this.colbertName),
          await this.describeIndexes(context, this.colbertName),
        ),
      );
    }
    if (differences.length > 0) {
      throw new CollectionMismatchError({ backend: BACKEND, collection: this.collection.name, differences });
    }
  }

  private async describe(context: RequestContext, name: string): Promise<DescribedCollection> {
    const response = await request(context, `describe collection ${name}`, () =>
      this.client.describeCollection({ collection_name: name, cache: false }),
    );
    const schema = response.schema as unknown as DescribedCollection;
    return { description: schema.description ?? '', fields: schema.fields ?? [] };
  }

  private async describeIndexes(context: RequestContext, name: string): Promise<DescribedIndex[]> {
    const response = await request(context, `describe indexes of ${name}`, () =>
      this.client.describeIndex({ collection_name: name }),
    );
    return (response.index_descriptions ?? []) as unknown as DescribedIndex[];
  }

  // Placeholders until the adapter implements the sync contract (issues 12 and 16).
  async exists(): Promise<boolean> {
    throw new UnsupportedError({ backend: 'milvus', feature: 'exists', message: 'not implemented yet' });
  }

  async describeCollection(): Promise<DescribedSpec | undefined> {
    throw new UnsupportedError({ backend: 'milvus', feature: 'describeCollection', message: 'not implemented yet' });
  }

  // eslint-disable-next-line require-yield
  async *scan(): AsyncIterable<readonly ScannedRecord[]> {
    throw new UnsupportedError({ backend: 'milvus', feature: 'scan', message: 'not implemented yet' });
  }

  async drop(options?: OperationOptions): Promise<void> {
    throwIfAborted(options?.signal, 'drop');
    const context = this.context(options?.signal);
    for (const name of [this.colbertName, this.collection.name]) {
      if (await this.collectionExists(context, name)) {
        await request(context, `drop collection ${name}`, () => this.client.dropCollection({ collection_name: name }));
      }
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.closeConnection();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Runs writes of this store one call at a time. Milvus' upsert is a delete plus an insert, not
   * atomic: two concurrent upserts of one id can both insert and leave a duplicate row (seen on
   * Milvus Lite 2.5.1 under load). Within a call, ids are unique and batches run concurrently.
   */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writeQueue.then(work, work);
    this.writeQueue = next.catch(() => undefined);
    return next;
  }

  async upsert(records: readonly M3Record[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'upsert');
    const context = this.context(options?.signal);
    const valid: M3Record[] = [];
    const failed: WriteFailure[] = [];
    for (const record of records) {
      try {
        validateRecord(record, this.collection);
        valid.push(record);
      } catch (error) {
        failed.push({ id: String(record?.id), error: toM3Error(error, 'upsert') });
      }
    }
    // Within one call the last record of an id wins, as in the exact store; Milvus would keep both.
    const last = new Map(valid.map((record, index) => [record.id, index]));
    const unique = valid.filter((record, index) => last.get(record.id) === index);
    const batches = batchBySize(unique, estimateRecordJsonBytes, { maxBytes: this.maxBatchBytes, maxItems: 500 });
    const batchFailures = await this.exclusive(() => mapWithConcurrency(
      batches,
      this.concurrency,
      async (batch) => {
        try {
          await this.writeBatch(context, batch);
          return [];
        } catch (error) {
          if (AbortedError.isInstance(error)) throw error;
          const translated = toM3Error(error, 'upsert');
          return batch.map((record) => ({ id: record.id, error: translated }));
        }
      },
      options?.signal,
    ));
    const failedInBatches = batchFailures.flat();
    const failedIds = new Set(failedInBatches.map((failure) => failure.id));
    return finishWrite(
      BACKEND,
      { written: valid.filter((record) => !failedIds.has(record.id)).map((record) => record.id), failed: [...failed, ...failedInBatches] },
      options,
    );
  }

  /**
   * One batch: ColBERT rows first (keys `<row>|<id>` overwrite in place), then the rows beyond each
   * document's new row count are deleted, then the main row. A document thus never shows in
   * dense/sparse search without its token vectors, and re-ingesting never leaves stale rows.
   */
  private async writeBatch(context: RequestContext, batch: readonly M3Record[]): Promise<void> {
    if (this.hasColbert) {
      const rows = batch.flatMap((record) => this.colbertRowsOf(record));
      const rowBytes = 64 + this.collection.denseDimension * 12;
      for (const piece of batchBySize(rows, () => rowBytes, { maxBytes: this.maxBatchBytes, maxItems: this.rowsPerRequest })) {
        await request(context, `upsert ${piece.length} ColBERT rows`, () =>
          this.client.upsert({ collection_name: this.colbertName, data: piece as RowData[] }),
        );
      }
      await this.deleteStaleColbertRows(context, batch);
    }
    for (const piece of chunk(batch, this.rowsPerRequest)) {
      const mainRows = piece.map((record) => this.mainRowOf(record));
      await request(context, `upsert ${mainRows.length} documents`, () =>
        this.client.upsert({ collection_name: this.collection.name, data: mainRows as RowData[] }),
      );
    }
  }

  private mainRowOf(record: M3Record): Record<string, unknown> {
    const { dense, lexical, colbert } = record.embedding;
    const signals = this.collection.signals;
    const row: Record<string, unknown> = {
      [FIELDS.key]: documentKey(record.id),
      [FIELDS.id]: record.id,
      [FIELDS.metadata]: record.metadata ?? {},
      [FIELDS.filterTerms]: filterTermsOf(record.metadata),
    };
    if (signals.includes('dense')) row[FIELDS.dense] = Array.from(dense!);
    if (signals.includes('sparse')) row[FIELDS.sparse] = sparseToDict(lexical!);
    if (!signals.includes('dense') && !signals.includes('sparse')) row[FIELDS.placeholder] = [1, 0];
    if (this.collection.storeText) row[FIELDS.text] = record.text === undefined ? [] : textToChunks(record.text);
    if (signals.includes('colbert')) row[FIELDS.colbertRows] = colbert!.rows;
    return row;
  }

  private colbertRowsOf(record: M3Record): Array<Record<string, unknown>> {
    const colbert = record.embedding.colbert!;
    const metadata = numericMetadataOf(record.metadata);
    const terms = filterTermsOf(record.metadata);
    const rows: Array<Record<string, unknown>> = [];
    for (let r = 0; r < colbert.rows; r++) {
      rows.push({
        [COLBERT_FIELDS.key]: colbertRowKey(record.id, r),
        [COLBERT_FIELDS.documentKey]: documentKey(record.id),
        [COLBERT_FIELDS.documentId]: record.id,
        [COLBERT_FIELDS.row]: r,
        [COLBERT_FIELDS.vector]: Array.from(colbert.data.subarray(r * colbert.dim, (r + 1) * colbert.dim)),
        [COLBERT_FIELDS.metadata]: metadata,
        [COLBERT_FIELDS.filterTerms]: terms,
      });
    }
    return rows;
  }

  private async deleteStaleColbertRows(context: RequestContext, batch: readonly M3Record[]): Promise<void> {
    const byRowCount = new Map<number, string[]>();
    for (const record of batch) {
      const rows = record.embedding.colbert!.rows;
      byRowCount.set(rows, [...(byRowCount.get(rows) ?? []), record.id]);
    }
    const clauses = [...byRowCount].flatMap(([rows, ids]) =>
      chunk(ids, IDS_PER_EXPRESSION).map((piece) => `(${COLBERT_FIELDS.row} >= ${rows} and ${inList(COLBERT_FIELDS.documentKey, piece.map(documentKey))})`),
    );
    for (const piece of chunk(clauses, 50)) {
      await request(context, 'delete stale ColBERT rows', () =>
        this.client.delete({ collection_name: this.colbertName, filter: piece.join(' or ') }),
      );
    }
  }

  async delete(ids: readonly string[], options?: WriteOptions): Promise<WriteReport> {
    throwIfAborted(options?.signal, 'delete');
    ids.forEach((id) => validateId(id));
    const context = this.context(options?.signal);
    const failed: WriteFailure[] = [];
    await this.exclusive(async () => {
      for (const piece of chunk([...new Set(ids)], IDS_PER_EXPRESSION)) {
        try {
          // The document first, so it stops matching any signal, then its token vectors.
          await request(context, `delete ${piece.length} documents`, () =>
            this.client.delete({ collection_name: this.collection.name, filter: inList(FIELDS.key, piece.map(documentKey)) }),
          );
          if (this.hasColbert) {
            await request(context, `delete ColBERT rows of ${piece.length} documents`, () =>
              this.client.delete({ collection_name: this.colbertName, filter: inList(COLBERT_FIELDS.documentKey, piece.map(documentKey)) }),
            );
          }
        } catch (error) {
          if (AbortedError.isInstance(error)) throw error;
          const translated: M3Error = toM3Error(error, 'delete');
          failed.push(...piece.map((id) => ({ id, error: translated })));
        }
      }
    });
    const failedIds = new Set(failed.map((f) => f.id));
    return finishWrite(BACKEND, { written: ids.filter((id) => !failedIds.has(id)), failed }, options);
  }

  // ---------------------------------------------------------------- reads

  async get(ids: readonly string[], options?: GetOptions): Promise<readonly StoredRecord[]> {
    throwIfAborted(options?.signal, 'get');
    ids.forEach((id) => validateId(id));
    const context = this.context(options?.signal);
    const withEmbedding = options?.includeEmbedding === true;
    const found = await this.fetchDocuments(context, [...new Set(ids)], {
      text: true,
      metadata: true,
      embedding: withEmbedding,
    });
    if (withEmbedding && this.hasColbert) await this.attachColbert(context, found);
    return ids.flatMap((id) => {
      const row = found.get(id);
      return row === undefined ? [] : [row.record];
    });
  }

  private async fetchDocuments(
    context: RequestContext,
    ids: readonly string[],
    want: { text: boolean; metadata: boolean; embedding: boolean },
  ): Promise<Map<string, { record: StoredRecord; colbertRows: number }>> {
    const signals = this.collection.signals;
    const fields: string[] = [FIELDS.id];
    if (want.text && this.collection.storeText) fields.push(FIELDS.text);
    if (want.metadata) fields.push(FIELDS.metadata);
    if (want.embedding) {
      if (signals.includes('dense')) fields.push(FIELDS.dense);
      if (signals.includes('sparse')) fields.push(FIELDS.sparse);
      if (signals.includes('colbert')) fields.push(FIELDS.colbertRows);
    }
    const found = new Map<string, { record: StoredRecord; colbertRows: number }>();
    for (const piece of chunk(ids, IDS_PER_EXPRESSION)) {
      const rows = await queryRows(context, this.collection.name, inList(FIELDS.key, piece.map(documentKey)), fields, piece.length);
      for (const row of rows) {
        const id = String(row[FIELDS.id]);
        const text = want.text ? textFromChunks(row[FIELDS.text] as string[] | undefined) : undefined;
        const metadata = want.metadata ? (row[FIELDS.metadata] as Metadata | undefined) : undefined;
        const embedding: M3Embedding | undefined = want.embedding
          ? {
              ...(signals.includes('dense') ? { dense: Float32Array.from(row[FIELDS.dense] as number[]) } : {}),
              ...(signals.includes('sparse')
                ? { lexical: sparseFromDict(row[FIELDS.sparse] as Record<string, number>) }
                : {}),
            }
          : undefined;
        const record: StoredRecord = {
          id,
          ...(text !== undefined ? { text } : {}),
          // `{}` is what a record without metadata is stored as.
          ...(metadata !== undefined && metadata !== null && Object.keys(metadata).length > 0 ? { metadata } : {}),
          ...(embedding !== undefined ? { embedding } : {}),
        };
        found.set(id, { record, colbertRows: Number(row[FIELDS.colbertRows] ?? 0) });
      }
    }
    return found;
  }

  private async attachColbert(
    context: RequestContext,
    found: Map<string, { record: StoredRecord; colbertRows: number }>,
  ): Promise<void> {
    const dim = this.collection.denseDimension;
    // Group documents so that each query returns at most Milvus' row limit.
    const groups: string[][] = [];
    let current: string[] = [];
    let rowsInCurrent = 0;
    for (const [id, { colbertRows }] of found) {
      if (current.length > 0 && (rowsInCurrent + colbertRows > MILVUS_MAX_LIMIT || current.length >= IDS_PER_EXPRESSION)) {
        groups.push(current);
        current = [];
        rowsInCurrent = 0;
      }
      current.push(id);
      rowsInCurrent += colbertRows;
    }
    if (current.length > 0) groups.push(current);
    for (const group of groups) {
      const limit = Math.max(1, group.reduce((sum, id) => sum + (found.get(id)?.colbertRows ?? 0), 0));
      const rows = await queryRows(
        context,
        this.colbertName,
        inList(COLBERT_FIELDS.documentKey, group.map(documentKey)),
        [COLBERT_FIELDS.documentId, COLBERT_FIELDS.row, COLBERT_FIELDS.vector],
        Math.min(limit, MILVUS_MAX_LIMIT),
      );
      const byDocument = new Map<string, Float32Array>();
      for (const id of group) byDocument.set(id, new Float32Array((found.get(id)?.colbertRows ?? 0) * dim));
      for (const row of rows) {
        const data = byDocument.get(String(row[COLBERT_FIELDS.documentId]));
        const index = Number(row[COLBERT_FIELDS.row]);
        if (data !== undefined && index * dim < data.length) data.set(row[COLBERT_FIELDS.vector] as number[], index * dim);
      }
      for (const id of group) {
        const entry = found.get(id)!;
        entry.record = {
          ...entry.record,
          embedding: { ...entry.record.embedding, colbert: { data: byDocument.get(id)!, rows: entry.colbertRows, dim } },
        };
      }
    }
  }

  async count(filter?: Filter, options?: OperationOptions): Promise<number> {
    throwIfAborted(options?.signal, 'count');
    const expression = filter === undefined ? '' : filterToExpression(filter);
    const rows = await queryRows(this.context(options?.signal), this.collection.name, expression, ['count(*)']);
    return Number(rows[0]?.['count(*)'] ?? 0);
  }

  // ---------------------------------------------------------------- queries

  async query(query: HybridQuery, options?: OperationOptions): Promise<QueryResult> {
    const resolved = resolveQuery(query, this.collection.signals);
    checkQueryDimensions(query.embedding, this.collection);
    throwIfAborted(options?.signal, 'query');
    const context = this.context(options?.signal);
    const filter = query.filter === undefined ? '' : filterToExpression(query.filter);
    const targets: QueryTargets = {
      main: this.collection.name,
      dense: this.denseIndex.searchParams ?? {},
      colbert: { collection: this.colbertName, params: this.colbertIndex.searchParams ?? {}, firstDepth: this.colbertSearchDepth },
      nativeRrf: this.nativeRrf,
    };
    const run = new QueryRun(this.client, targets, context, resolved, filter);
    const ranked = await run.execute();
    const hits = await this.hydrate(context, resolved, ranked.hits, ranked.scores);
    return { hits, execution: ranked.execution, warnings: ranked.warnings };
  }

  private async hydrate(
    context: RequestContext,
    resolved: ResolvedQuery,
    ranked: readonly ScoredId[],
    scores: CandidateScores,
  ): Promise<QueryHit[]> {
    const needed = resolved.includeText || resolved.includeMetadata;
    const documents = needed
      ? await this.fetchDocuments(
          context,
          ranked.map((hit) => hit.id),
          { text: resolved.includeText, metadata: resolved.includeMetadata, embedding: false },
        )
      : new Map<string, { record: StoredRecord }>();
    return ranked.map(({ id, score }) => {
      const record = documents.get(id)?.record;
      return {
        id,
        score,
        signalScores: { ...(scores.get(id) ?? {}) },
        ...(record?.text !== undefined ? { text: record.text } : {}),
        ...(record?.metadata !== undefined ? { metadata: record.metadata } : {}),
      };
    });
  }
}

/** Where a query's searches go. */
interface QueryTargets {
  readonly main: string;
  readonly dense: Readonly<Record<string, unknown>>;
  readonly colbert: ColbertSearchTarget;
  readonly nativeRrf: boolean;
}

/** Per-signal candidate list with what it proves about documents outside it. */
interface SignalList {
  /** The signal's top documents: the candidates it contributes. */
  readonly hits: readonly ScoredId[];
  /** Exact scores known from building the list (for ColBERT, more documents than `hits`). */
  readonly scores: ReadonlyMap<string, number>;
  /** No document outside `hits` scores higher than this. */
  readonly bound: number;
  /** Every document matching the filter is in `hits`. */
  readonly complete: boolean;
  readonly note: string;
}

interface Ranked {
  readonly hits: readonly ScoredId[];
  readonly scores: CandidateScores;
  readonly execution: QueryExecution;
  readonly warnings: readonly string[];
}

/** One query's plan and state: which requests run, and which part m3kit computes. */
class QueryRun {
  private readonly warnings: string[] = [];

  constructor(
    private readonly client: MilvusClient,
    private readonly targets: QueryTargets,
    private readonly context: RequestContext,
    private readonly resolved: ResolvedQuery,
    private readonly filter: string,
  ) {}

  private get embedding(): M3Embedding {
    return this.resolved.query.embedding;
  }

  async execute(): Promise<Ranked> {
    const { signals, fusion } = this.resolved;
    if (signals.length === 1) return this.single(signals[0]!);
    if (fusion === 'weighted') return this.weighted();
    if (
      fusion === 'rrf' &&
      this.targets.nativeRrf &&
      !signals.includes('colbert') &&
      Number.isInteger(this.resolved.rrfK) &&
      this.resolved.rrfK >= 1 &&
      this.resolved.rrfK < 16_384 &&
      (this.embedding.lexical?.indices.length ?? 0) > 0
    ) {
      return this.nativeRrf();
    }
    return this.clientRankFusion();
  }

  /** One signal: its own exact ranking. */
  private async single(signal: Signal): Promise<Ranked> {
    const topK = this.resolved.topK;
    const list = signal === 'sparse' ? await this.sparseList(topK) : await this.list(signal, topK);
    const hits = list.hits.slice(0, topK);
    const scores = new Map(hits.map((hit) => [hit.id, { [signal]: hit.score }]));
    return {
      hits,
      scores,
      execution: {
        fusion: 'none',
        colbert: signal === 'colbert' ? 'client' : 'none',
        description: `milvus: ${list.note}`,
      },
      warnings: this.warnings,
    };
  }

  /**
   * compute_score: exact per-signal scores of every candidate, ranked by core. The candidates are
   * each signal's top list; a document in none of them scores at most sum(w_i * bound_i) / sum(w_i).
   * While the k-th best candidate is below that bound, every list goes deeper (x4).
   */
  private async weighted(): Promise<Ranked> {
    const { signals, weights, topK } = this.resolved;
    const depth = { ...this.resolved.candidates };
    const weightSum = signals.reduce((sum, s) => sum + weights[s], 0);
    for (let round = 1; ; round++) {
      const lists = new Map<Signal, SignalList>();
      for (const signal of signals) lists.set(signal, await this.list(signal, depth[signal]));
      const candidates = new Set<string>();
      for (const list of lists.values()) for (const hit of list.hits) candidates.add(hit.id);
      const scores = await this.exactScores([...candidates], lists);
      const ranked = rankCandidates(this.resolved, scores);
      const complete = [...lists.values()].some((list) => list.complete);
      const bound = complete
        ? Number.NEGATIVE_INFINITY
        : signals.reduce((sum, s) => (weights[s] > 0 ? sum + weights[s] * lists.get(s)!.bound : sum), 0) / weightSum;
      const kth = ranked[topK - 1]?.score ?? Number.NEGATIVE_INFINITY;
      const proven = complete || (ranked.length >= topK && kth >= bound);
      const capped = signals.every((s) => depth[s] >= MILVUS_MAX_LIMIT);
      if (proven || capped) {
        if (!proven) {
          this.warnings.push(
            `weighted fusion: could not prove the top ${topK} exact within Milvus' search limit of ${MILVUS_MAX_LIMIT}; results are the best of ${candidates.size} candidates`,
          );
        }
        return {
          hits: ranked,
          scores,
          execution: {
            fusion: 'client',
            colbert: signals.includes('colbert') ? 'client' : 'none',
            description:
              `milvus: ${[...lists.values()].map((l) => l.note).join(' + ')}; exact per-signal scores of ${candidates.size} candidates, ` +
              `weighted (compute_score) fusion on the client` +
              (round > 1 ? ` after ${round} rounds of deepening` : '') +
              (proven ? ' (threshold bound met: exact top-k)' : ''),
          },
          warnings: this.warnings,
        };
      }
      for (const signal of signals) depth[signal] = Math.min(depth[signal] * 4, MILVUS_MAX_LIMIT);
    }
  }

  /** rrf (with ColBERT, or when native is off) and dbsf: core's fusion over each signal's exact top list. */
  private async clientRankFusion(): Promise<Ranked> {
    const { signals, candidates } = this.resolved;
    const lists: Partial<Record<Signal, RankedList>> = {};
    const scores = new Map<string, Partial<Record<Signal, number>>>();
    const notes: string[] = [];
    for (const signal of signals) {
      const list = signal === 'sparse' ? await this.sparseList(candidates.sparse) : await this.list(signal, candidates[signal]);
      const top = list.hits.slice(0, candidates[signal]);
      lists[signal] = { ids: top.map((h) => h.id), scores: top.map((h) => h.score) };
      for (const hit of top) scores.set(hit.id, { ...scores.get(hit.id), [signal]: hit.score });
      notes.push(list.note);
    }
    const ranked = rankCandidates(this.resolved, scores, lists);
    return {
      hits: ranked,
      scores,
      execution: {
        fusion: 'client',
        colbert: signals.includes('colbert') ? 'client' : 'none',
        description: `milvus: ${notes.join(' + ')}; ${this.resolved.fusion} fusion on the client`,
      },
      warnings: this.warnings,
    };
  }

  /** rrf over dense + sparse as one hybridSearch with RRFRanker(k): Milvus ranks from 1, as core does. */
  private async nativeRrf(): Promise<Ranked> {
    const { candidates, topK, rrfK } = this.resolved;
    const response = await request(this.context, 'hybridSearch', () =>
      this.client.hybridSearch({
        collection_name: this.targets.main,
        data: [
          { anns_field: FIELDS.dense, data: Array.from(this.embedding.dense!), limit: candidates.dense, params: { ...this.targets.dense } },
          {
            anns_field: FIELDS.sparse,
            data: sparseToDict(this.embedding.lexical!),
            limit: candidates.sparse,
            params: { drop_ratio_search: 0 },
          },
        ] as never,
        rerank: { strategy: 'rrf', params: { k: rrfK } },
        limit: topK,
        filter: this.filter,
        output_fields: [FIELDS.id],
        consistency_level: ConsistencyLevelEnum.Strong,
      }),
    );
    const hits = ((response.results ?? []) as Array<Record<string, unknown>>)
      .map((row) => ({ id: String(row[FIELDS.id]), score: Number(row['score']) }))
      .sort(byScoreThenId);
    return {
      hits,
      scores: new Map(),
      execution: {
        fusion: 'native',
        colbert: 'none',
        description:
          `milvus: hybridSearch dense(${candidates.dense}) + sparse(${candidates.sparse}), RRFRanker(k=${rrfK}); ` +
          `Milvus' sparse list holds only documents sharing a token with the query`,
      },
      warnings: this.warnings,
    };
  }

  /** Each signal's exact top `depth`, with what it proves about the rest. */
  private async list(signal: Signal, depth: number): Promise<SignalList> {
    if (signal === 'colbert') {
      const top = await colbertTop(this.context, this.targets.colbert, this.embedding.colbert!, depth, this.filter);
      if (!top.proven) {
        this.warnings.push(`colbert: top ${depth} not proven exact within Milvus' search limit of ${MILVUS_MAX_LIMIT}`);
      }
      const kth = top.hits.length >= depth ? top.hits[depth - 1]!.score : Number.NEGATIVE_INFINITY;
      return {
        hits: top.hits,
        scores: top.scores,
        // Scored documents outside the top score at most the k-th; unseen ones at most the unseen bound.
        bound: Math.max(kth, top.unseenBound),
        complete: top.unseenBound === Number.NEGATIVE_INFINITY && top.scores.size <= depth,
        note: `colbert token search grouped by document (depth ${top.searchDepth}) with exact MaxSim of ${top.scores.size} documents`,
      };
    }
    if (signal === 'sparse') return this.sparseList(depth);
    const limit = Math.min(depth, MILVUS_MAX_LIMIT);
    const [hits = []] = await searchVectors(this.context, {
      collection: this.targets.main,
      field: FIELDS.dense,
      vectors: [Array.from(this.embedding.dense!)],
      limit,
      filter: this.filter,
      params: this.targets.dense,
      idField: FIELDS.id,
    });
    const complete = hits.length < limit;
    return {
      hits,
      scores: new Map(hits.map((h) => [h.id, h.score])),
      bound: complete ? Number.NEGATIVE_INFINITY : hits[hits.length - 1]!.score,
      complete,
      note: `dense search(${limit})`,
    };
  }

  /**
   * Sparse top `depth`: only documents sharing a token with the query (score > 0), which is also
   * what core's exact store ranks in a sparse list.
   */
  private async sparseList(depth: number): Promise<SignalList> {
    const limit = Math.min(depth, MILVUS_MAX_LIMIT);
    const lexical = this.embedding.lexical!;
    const [found = []] =
      lexical.indices.length === 0
        ? [[]]
        : await searchVectors(this.context, {
            collection: this.targets.main,
            field: FIELDS.sparse,
            vectors: [sparseToDict(lexical)],
            limit,
            filter: this.filter,
            params: { drop_ratio_search: 0 },
            idField: FIELDS.id,
          });
    const positive = found.filter((hit) => hit.score > 0);
    const hits: ScoredId[] = positive;
    const note = `sparse search(${limit})`;
    const full = positive.length >= limit;
    return {
      hits,
      scores: new Map(hits.map((h) => [h.id, h.score])),
      // Documents outside a short list share no token with the query: they score 0.
      bound: full ? positive[positive.length - 1]!.score : 0,
      complete: false,
      note,
    };
  }

  /** Fills in every candidate's exact score for every signal, with searches restricted to the candidates. */
  private async exactScores(ids: readonly string[], lists: ReadonlyMap<Signal, SignalList>): Promise<CandidateScores> {
    const scores = new Map<string, Partial<Record<Signal, number>>>(ids.map((id) => [id, {}]));
    for (const [signal, list] of lists) {
      const missing: string[] = [];
      for (const id of ids) {
        const known = list.scores.get(id);
        const entry = scores.get(id);
        if (entry === undefined) continue;
        if (known === undefined) missing.push(id);
        else entry[signal] = known;
      }
      if (missing.length === 0) continue;
      const found = await this.rescore(signal, missing);
      for (const id of missing) {
        const score = found.get(id);
        // Sparse: no shared token means 0. Dense/ColBERT: a document gone since the list was made.
        const entry = scores.get(id)!;
        if (score !== undefined) entry[signal] = score;
        else if (signal === 'sparse') entry[signal] = 0;
        else scores.delete(id);
      }
    }
    return scores;
  }

  private async rescore(signal: Signal, ids: readonly string[]): Promise<Map<string, number>> {
    if (signal === 'colbert') return colbertScores(this.context, this.targets.colbert, this.embedding.colbert!, ids);
    const result = new Map<string, number>();
    if (signal === 'sparse' && this.embedding.lexical!.indices.length === 0) return result;
    for (const piece of chunk(ids, IDS_PER_EXPRESSION)) {
      const [hits = []] = await searchVectors(this.context, {
        collection: this.targets.main,
        field: signal === 'dense' ? FIELDS.dense : FIELDS.sparse,
        vectors: [signal === 'dense' ? Array.from(this.embedding.dense!) : sparseToDict(this.embedding.lexical!)],
        limit: piece.length,
        filter: restrictTo(FIELDS.key, piece.map(documentKey)),
        params: signal === 'dense' ? this.targets.dense : { drop_ratio_search: 0 },
        idField: FIELDS.id,
      });
      for (const hit of hits) result.set(hit.id, hit.score);
    }
    return result;
  }
}
