import { createHash } from 'node:crypto';
import type { Callbacks } from '@langchain/core/callbacks/manager';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { VectorStore } from '@langchain/core/vectorstores';
import {
  InvalidInputError,
  UnsupportedError,
  ingest,
  type ChunkingOptions,
  type Filter,
  type HybridQuery,
  type IngestReport,
  type M3Document,
  type M3StoreV1,
  type QueryResult,
  flattenMetadata,
} from '@m3kit/core';
import { deleteByFilter, deleteDocuments } from './delete-documents.js';
import { toCoreFilter, type M3LangChainFilter } from './filter-translation.js';
import { encodeQuery, hitScores, type M3HybridOptions } from './hybrid-options.js';
import type { M3Embeddings } from './m3-embeddings.js';
import { M3Retriever, type M3RetrieverFields } from './m3-retriever.js';

export interface M3VectorStoreArgs {
  /** Any m3kit store: `QdrantStore`, `MilvusStore`, `ElasticStore`, `ExactStore`. */
  readonly store: M3StoreV1;
  /** How documents are chunked on the way in (default 512 tokens, 64 overlap, as `m3 ingest`). */
  readonly chunking?: ChunkingOptions;
  /** Documents chunked and encoded together (default 16). */
  readonly batchDocuments?: number;
  /** The hybrid query text searches run (default: every signal the collection holds, weighted). */
  readonly query?: M3HybridOptions;
}

export interface M3AddDocumentsOptions {
  /** Ids to store the documents under (default each Document's `id`, else a hash of its content). */
  readonly ids?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface M3DeleteParams {
  /** Document ids as added (every chunk goes), or chunk ids (containing `#`). */
  readonly ids?: readonly string[];
  /** Every record matching (needs a store with `scan`). */
  readonly filter?: M3LangChainFilter;
  readonly signal?: AbortSignal;
}

export interface M3SearchOptions extends M3HybridOptions {
  readonly k?: number;
  readonly filter?: M3LangChainFilter;
  readonly signal?: AbortSignal;
}

/**
 * A LangChain `VectorStore` over any m3kit store. Documents go in through m3kit's `ingest()`
 * (token-aware chunks, all three BGE-M3 outputs, content-addressed sync: an unchanged document is
 * not re-encoded, an older version is removed), and text
 * searches run m3kit's hybrid query: each returned Document has its fused and per-signal scores in
 * `metadata.m3kit`.
 */
export class M3VectorStore extends VectorStore {
  declare FilterType: M3LangChainFilter;
  declare embeddings: M3Embeddings;
  readonly store: M3StoreV1;
  readonly queryDefaults: M3HybridOptions;
  private readonly chunking: ChunkingOptions | undefined;
  private readonly batchDocuments: number | undefined;
  private ready: Promise<unknown> | undefined;

  constructor(embeddings: M3Embeddings, args: M3VectorStoreArgs) {
    super(embeddings, args);
    if (args?.store?.specificationVersion !== 'v1') {
      throw new InvalidInputError('M3VectorStore needs `store`, an m3kit store (M3StoreV1)', {
        item: 'store',
      });
    }
    this.store = args.store;
    this.queryDefaults = args.query ?? {};
    this.chunking = args.chunking;
    this.batchDocuments = args.batchDocuments;
  }

  _vectorstoreType(): string {
    return 'm3kit';
  }

  /** Creates the collection, or checks an existing one, once per instance. */
  async ensureCollection(): Promise<void> {
    this.ready ??= this.store.ensureCollection().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
  }

  /** Adds documents through m3kit's ingest; returns the ids they were stored under. */
  override async addDocuments(
    documents: DocumentInterface[],
    options?: M3AddDocumentsOptions,
  ): Promise<string[]> {
    return (await this.ingestDocuments(documents, options)).ids;
  }

  /** `addDocuments`, plus ingest's report (chunks, tokens, seconds). */
  async ingestDocuments(
    documents: readonly DocumentInterface[],
    options?: M3AddDocumentsOptions,
  ): Promise<{ readonly ids: string[]; readonly report: IngestReport }> {
    if (options?.ids !== undefined && options.ids.length !== documents.length) {
      throw new InvalidInputError(
        `got ${options.ids.length} ids for ${documents.length} documents`,
        { item: 'ids' },
      );
    }
    const m3Documents = documents.map((document, i) =>
      toM3Document(document, options?.ids?.[i], i),
    );
    await this.ensureCollection();
    const report = await ingest(m3Documents, {
      encoder: this.embeddings.encoder,
      store: this.store,
      onDocumentError: 'stop',
      ...(this.chunking ? { chunking: this.chunking } : {}),
      ...(this.batchDocuments ? { batchDocuments: this.batchDocuments } : {}),
      ...(options?.signal ? { signal: options.signal } : {}),
    });
    return { ids: m3Documents.map((d) => d.id), report };
  }

  /**
   * Precomputed vectors carry the dense signal only, so they can be added only to a dense-only
   * collection (one record per document, no chunking). Elsewhere use `addDocuments`.
   */
  override async addVectors(
    vectors: number[][],
    documents: DocumentInterface[],
    options?: M3AddDocumentsOptions,
  ): Promise<string[]> {
    const signals = this.store.collection.signals;
    if (signals.length !== 1 || signals[0] !== 'dense') {
      throw new UnsupportedError({
        backend: 'm3kit',
        feature: 'addVectors',
        message: `collection "${this.store.collection.name}" holds ${signals.join(' + ')}, which need the text: use addDocuments`,
      });
    }
    if (vectors.length !== documents.length) {
      throw new InvalidInputError(
        `got ${vectors.length} vectors for ${documents.length} documents`,
        { item: 'vectors' },
      );
    }
    const records = documents.map((document, i) => ({
      ...toM3Document(document, options?.ids?.[i], i),
      embedding: { dense: Float32Array.from(vectors[i]!) },
    }));
    await this.ensureCollection();
    await this.store.upsert(records, options?.signal ? { signal: options.signal } : {});
    return records.map((r) => r.id);
  }

  /** Dense search with a precomputed query vector (the only signal a vector carries). */
  async similaritySearchVectorWithScore(
    query: number[],
    k: number,
    filter?: M3LangChainFilter,
  ): Promise<[Document, number][]> {
    return this.run(
      { embedding: { dense: Float32Array.from(query) }, signals: ['dense'], topK: k },
      filter,
    );
  }

  /** The hybrid query (the store's defaults) for a text: Documents with their fused scores. */
  override async similaritySearchWithScore(
    query: string,
    k = 4,
    filter?: M3LangChainFilter,
    _callbacks?: Callbacks,
  ): Promise<[Document, number][]> {
    return this.hybridSearch(query, { k, ...(filter === undefined ? {} : { filter }) });
  }

  override async similaritySearch(
    query: string,
    k = 4,
    filter?: M3LangChainFilter,
    _callbacks?: Callbacks,
  ): Promise<Document[]> {
    return (await this.similaritySearchWithScore(query, k, filter)).map(([document]) => document);
  }

  /** The hybrid query with its options spelled out (each falls back to the store's defaults). */
  async hybridSearch(query: string, options: M3SearchOptions = {}): Promise<[Document, number][]> {
    if (typeof query !== 'string' || query.trim() === '')
      throw new InvalidInputError('the query must be a non-empty string', { item: 'query' });
    const hybrid = { ...this.queryDefaults, ...definedOnly(options) };
    const signals = hybrid.signals ?? this.store.collection.signals;
    const embedding = await encodeQuery(this.embeddings.encoder, query, signals, options.signal);
    return this.run(
      {
        embedding,
        signals,
        topK: options.k ?? 4,
        ...(hybrid.weights ? { weights: hybrid.weights } : {}),
        ...(hybrid.fusion ? { fusion: hybrid.fusion } : {}),
        ...(hybrid.candidates !== undefined ? { candidates: hybrid.candidates } : {}),
      },
      options.filter,
      options.signal,
    );
  }

  /** The raw m3kit result (hits, where each part ran, warnings) for a query. */
  async query(query: HybridQuery, signal?: AbortSignal): Promise<QueryResult> {
    return this.store.query(query, signal ? { signal } : {});
  }

  private async run(
    query: HybridQuery,
    filter: M3LangChainFilter | undefined,
    signal?: AbortSignal,
  ): Promise<[Document, number][]> {
    const coreFilter: Filter | undefined = toCoreFilter(filter);
    const result = await this.query(
      { ...query, ...(coreFilter ? { filter: coreFilter } : {}) },
      signal,
    );
    return result.hits.map((hit) => [
      new Document({
        id: hit.id,
        pageContent: hit.text ?? '',
        metadata: { ...hit.metadata, m3kit: hitScores(hit) },
      }),
      hit.score,
    ]);
  }

  /** Deletes documents by id (all their chunks) and/or every record matching a filter. */
  override async delete(params?: M3DeleteParams): Promise<void> {
    if (!params || (params.ids === undefined && params.filter === undefined)) {
      throw new InvalidInputError('delete needs ids or a filter', { item: 'delete' });
    }
    if (params.ids) await deleteDocuments(this.store, params.ids, params.signal);
    const filter = toCoreFilter(params.filter);
    if (filter) await deleteByFilter(this.store, filter, params.signal);
  }

  /** A retriever whose options are the hybrid query: `asRetriever({ k: 5, fusion: { kind: 'rrf' } })`. */
  override asRetriever(
    kOrFields?: number | Partial<M3RetrieverFields<this>>,
    filter?: M3LangChainFilter,
    callbacks?: Callbacks,
    tags?: string[],
    metadata?: Record<string, unknown>,
    verbose?: boolean,
  ): M3Retriever<this> {
    const fields = typeof kOrFields === 'number' ? { k: kOrFields } : (kOrFields ?? {});
    return new M3Retriever<this>({
      ...(filter === undefined ? {} : { filter }),
      ...(callbacks === undefined ? {} : { callbacks }),
      ...(metadata === undefined ? {} : { metadata }),
      ...(verbose === undefined ? {} : { verbose }),
      ...fields,
      tags: [...(fields.tags ?? tags ?? []), this._vectorstoreType()],
      vectorStore: this,
    });
  }

  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: M3Embeddings,
    args: M3VectorStoreArgs,
  ): Promise<M3VectorStore> {
    const documents = texts.map(
      (pageContent, i) =>
        new Document({
          pageContent,
          metadata:
            ((Array.isArray(metadatas) ? metadatas[i] : metadatas) as
              | Record<string, unknown>
              | undefined) ?? {},
        }),
    );
    return M3VectorStore.fromDocuments(documents, embeddings, args);
  }

  static override async fromDocuments(
    documents: DocumentInterface[],
    embeddings: M3Embeddings,
    args: M3VectorStoreArgs,
  ): Promise<M3VectorStore> {
    const vectorStore = new M3VectorStore(embeddings, args);
    await vectorStore.addDocuments(documents);
    return vectorStore;
  }

  /** Opens a collection that already holds data; fails when there is none (never creates one). */
  static async fromExistingIndex(
    embeddings: M3Embeddings,
    args: M3VectorStoreArgs,
  ): Promise<M3VectorStore> {
    const vectorStore = new M3VectorStore(embeddings, args);
    if (!(await collectionExists(args.store))) {
      throw new InvalidInputError(`collection "${args.store.collection.name}" does not exist`, {
        item: args.store.collection.name,
      });
    }
    await vectorStore.ensureCollection();
    return vectorStore;
  }
}

/** `exists()`, or, on a store that cannot answer yet, whether it holds any record. */
async function collectionExists(store: M3StoreV1): Promise<boolean> {
  try {
    return await store.exists();
  } catch (error) {
    if (!UnsupportedError.isInstance(error)) throw error;
    return store.count().then(
      (n) => n > 0,
      () => false,
    );
  }
}

function toM3Document(
  document: DocumentInterface,
  explicitId: string | undefined,
  position: number,
): M3Document {
  if (typeof document?.pageContent !== 'string') {
    throw new InvalidInputError('a Document needs a string pageContent', { item: `#${position}` });
  }
  const id = explicitId ?? document.id ?? contentId(document);
  return { id, text: document.pageContent, metadata: flattenMetadata(document.metadata, id) };
}

/** A stable id from the content, so adding the same Document twice keeps one copy. */
function contentId(document: DocumentInterface): string {
  return createHash('sha256')
    .update(JSON.stringify([document.pageContent, document.metadata ?? {}]))
    .digest('hex')
    .slice(0, 32);
}

function definedOnly(options: M3SearchOptions): M3HybridOptions {
  const result: { -readonly [K in keyof M3HybridOptions]: M3HybridOptions[K] } = {};
  if (options.signals !== undefined) result.signals = options.signals;
  if (options.weights !== undefined) result.weights = options.weights;
  if (options.fusion !== undefined) result.fusion = options.fusion;
  if (options.candidates !== undefined) result.candidates = options.candidates;
  return result;
}
