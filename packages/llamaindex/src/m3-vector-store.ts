import { MetadataMode, NodeRelationship, TextNode, type BaseNode } from '@llamaindex/core/schema';
import {
  BaseVectorStore,
  VectorStoreQueryMode,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from '@llamaindex/core/vector-store';
import {
  InvalidInputError,
  UnsupportedError,
  filters,
  type Filter,
  type Fusion,
  type HybridQuery,
  type M3Embedding as M3Outputs,
  type M3Record,
  type M3StoreV1,
  type Metadata,
  type MetadataFieldSpec,
  type QueryHit,
  type Signal,
  flattenMetadata,
} from '@m3kit/core';
import { toCoreFilter } from './filter-translation.js';
import type { M3Embedding } from './m3-embedding.js';
import { NodeCache } from './node-cache.js';

/** Per query (`customParams`) or per store: what overrides the mapping from LlamaIndex's query modes. */
export interface M3QueryParams {
  readonly signals?: readonly Signal[];
  readonly weights?: Partial<Record<Signal, number>>;
  readonly fusion?: Fusion;
  readonly candidates?: number | Partial<Record<Signal, number>>;
}

export interface M3VectorStoreParams {
  /** Any m3kit store: `QdrantStore`, `MilvusStore`, `ElasticStore`, `ExactStore`. */
  readonly store: M3StoreV1;
  readonly embedModel: M3Embedding;
  /** `alpha` for hybrid queries that give none (default 0.5: dense and sparse alike). */
  readonly defaultAlpha?: number;
  /** Nodes encoded and written together (default 32). */
  readonly batchNodes?: number;
}

/** What each returned node carries in `metadata.m3kit` (kept out of the LLM's and embedder's view). */
export interface M3NodeScores {
  readonly score: number;
  readonly signalScores: Partial<Record<Signal, number>>;
}

/** Stored beside a node's metadata so the node comes back whole. */
const REF_DOC_ID = 'ref_doc_id';
const EXCLUDED_EMBED = 'li_excluded_embed_keys';
const EXCLUDED_LLM = 'li_excluded_llm_keys';
const SCORES_KEY = 'm3kit';

/** Fields to index for `delete(refDocId)` and `docIds` queries: add them to the collection's metadataFields. */
export const LLAMAINDEX_METADATA_FIELDS: readonly MetadataFieldSpec[] = [
  { name: REF_DOC_ID, type: 'keyword' },
];

/**
 * A LlamaIndex vector store over any m3kit store, for `VectorStoreIndex`. Each node is one record
 * (LlamaIndex has chunked already) with all the signals the collection holds. Query modes map to
 * m3kit's hybrid query: `default` is dense, `sparse` the lexical weights, `hybrid` both fused by
 * `alpha` (dense weight `alpha`, sparse `1 - alpha`); `customParams` may set any part of it.
 */
export class M3VectorStore extends BaseVectorStore<M3StoreV1, M3QueryParams> {
  storesText = true;
  readonly store: M3StoreV1;
  declare embedModel: M3Embedding;
  private readonly defaultAlpha: number;
  private readonly batchNodes: number;
  private ready: Promise<unknown> | undefined;
  private readonly nodes = new NodeCache();

  constructor(params: M3VectorStoreParams) {
    super({ embedModel: params.embedModel });
    if (params?.store?.specificationVersion !== 'v1') {
      throw new InvalidInputError('M3VectorStore needs `store`, an m3kit store (M3StoreV1)', {
        item: 'store',
      });
    }
    this.store = params.store;
    this.embedModel = params.embedModel;
    this.defaultAlpha = checkAlpha(params.defaultAlpha ?? 0.5, 'defaultAlpha');
    this.batchNodes = params.batchNodes ?? 32;
    params.embedModel.retainOutputs(this.store.collection.signals);
  }

  client(): M3StoreV1 {
    return this.store;
  }

  async ensureCollection(): Promise<void> {
    this.ready ??= this.store.ensureCollection().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
  }

  async add(nodes: BaseNode[]): Promise<string[]> {
    await this.ensureCollection();
    for (let i = 0; i < nodes.length; i += this.batchNodes) {
      const records = await this.toRecords(nodes.slice(i, i + this.batchNodes));
      await this.store.upsert(records);
    }
    return nodes.map((node) => node.id_);
  }

  /** Deletes every node of a source document (and a node with that id, if any). */
  async delete(refDocId: string): Promise<void> {
    if (typeof refDocId !== 'string' || refDocId === '')
      throw new InvalidInputError('delete needs a document id', { item: 'refDocId' });
    await this.store.delete([refDocId]);
    const ids: string[] = [];
    for await (const page of this.store.scan({ filter: filters.eq(REF_DOC_ID, refDocId) }))
      ids.push(...page.map((r) => r.id));
    for (let i = 0; i < ids.length; i += 1000) await this.store.delete(ids.slice(i, i + 1000));
  }

  async query(
    query: VectorStoreQuery<M3QueryParams>,
    options?: { signal?: AbortSignal },
  ): Promise<VectorStoreQueryResult> {
    const plan = this.plan(query);
    const embedding = await this.queryEmbedding(query, plan.signals, options?.signal);
    const filter = combine(
      toCoreFilter(query.filters),
      query.docIds?.length ? filters.in(REF_DOC_ID, query.docIds) : undefined,
    );
    const result = await this.store.query(
      { ...plan, embedding, ...(filter ? { filter } : {}) },
      options?.signal ? { signal: options.signal } : {},
    );
    return {
      nodes: result.hits.map((hit) => this.nodes.reuse(toNode(hit))),
      similarities: result.hits.map((h) => h.score),
      ids: result.hits.map((h) => h.id),
    };
  }

  /** The m3kit query a LlamaIndex query means, before the embedding. */
  plan(
    query: VectorStoreQuery<M3QueryParams>,
  ): Omit<HybridQuery, 'embedding'> & { signals: readonly Signal[] } {
    if (!Number.isInteger(query.similarityTopK) || query.similarityTopK < 1) {
      throw new InvalidInputError('similarityTopK must be a positive integer', {
        item: 'similarityTopK',
      });
    }
    const mode = query.mode ?? VectorStoreQueryMode.DEFAULT;
    const base = modePlan(mode, query.alpha ?? this.defaultAlpha);
    const custom = query.customParams ?? {};
    return {
      topK: query.similarityTopK,
      signals: custom.signals ?? base.signals,
      ...((custom.weights ?? base.weights) ? { weights: custom.weights ?? base.weights } : {}),
      ...(custom.fusion ? { fusion: custom.fusion } : {}),
      ...(custom.candidates !== undefined ? { candidates: custom.candidates } : {}),
    };
  }

  private async queryEmbedding(
    query: VectorStoreQuery<M3QueryParams>,
    signals: readonly Signal[],
    signal?: AbortSignal,
  ) {
    const denseOnly = signals.length === 1 && signals[0] === 'dense';
    if (query.queryStr !== undefined && query.queryStr !== '') {
      // The retriever has just embedded this text through our embedding: its other outputs are kept.
      const kept = this.embedModel.takeOutputs(query.queryStr);
      if (kept && hasSignals(kept, signals)) return pick(kept, signals);
      const [outputs] = await this.embedModel.encodeOutputs([query.queryStr], signals, signal);
      return outputs!;
    }
    if (denseOnly && query.queryEmbedding)
      return { dense: Float32Array.from(query.queryEmbedding) };
    throw new InvalidInputError(
      `a ${signals.join(' + ')} query needs queryStr (the text), not only a vector`,
      { item: 'queryStr' },
    );
  }

  /** Records for nodes: the outputs kept from embedding them, or (for nodes embedded elsewhere) encoded now. */
  private async toRecords(nodes: readonly BaseNode[]): Promise<M3Record[]> {
    const signals = this.store.collection.signals;
    const texts = nodes.map((node) => node.getContent(MetadataMode.EMBED));
    const outputs = texts.map((text) => {
      const kept = this.embedModel.takeOutputs(text);
      return kept && hasSignals(kept, signals) ? kept : undefined;
    });
    const missing = outputs.flatMap((o, i) => (o === undefined ? [i] : []));
    const encoded = await this.embedModel.encodeOutputs(
      missing.map((i) => texts[i]!),
      signals,
    );
    missing.forEach((index, j) => {
      outputs[index] = encoded[j];
    });
    return nodes.map((node, i) => toRecord(node, pick(outputs[i]!, signals)));
  }
}

function hasSignals(outputs: M3Outputs, signals: readonly Signal[]): boolean {
  return signals.every(
    (s) =>
      (s === 'dense' ? outputs.dense : s === 'sparse' ? outputs.lexical : outputs.colbert) !==
      undefined,
  );
}

/** Only the outputs the collection holds (the embedding always computes dense). */
function pick(outputs: M3Outputs, signals: readonly Signal[]): M3Outputs {
  return {
    ...(signals.includes('dense') && outputs.dense ? { dense: outputs.dense } : {}),
    ...(signals.includes('sparse') && outputs.lexical ? { lexical: outputs.lexical } : {}),
    ...(signals.includes('colbert') && outputs.colbert ? { colbert: outputs.colbert } : {}),
  };
}

function toRecord(node: BaseNode, embedding: M3Record['embedding']): M3Record {
  const text = node.getContent(MetadataMode.NONE);
  if (text.trim() === '') throw new InvalidInputError('node has no text', { item: node.id_ });
  const metadata: Record<string, Metadata[string]> = {
    ...flattenMetadata(node.metadata, node.id_),
  };
  const refDocId = node.sourceNode?.nodeId;
  if (refDocId !== undefined) metadata[REF_DOC_ID] = refDocId;
  if (node.excludedEmbedMetadataKeys.length > 0)
    metadata[EXCLUDED_EMBED] = [...node.excludedEmbedMetadataKeys];
  if (node.excludedLlmMetadataKeys.length > 0)
    metadata[EXCLUDED_LLM] = [...node.excludedLlmMetadataKeys];
  return { id: node.id_, text, metadata, embedding };
}

function toNode(hit: QueryHit): TextNode<Record<string, unknown>> {
  const {
    [REF_DOC_ID]: refDocId,
    [EXCLUDED_EMBED]: excludedEmbed,
    [EXCLUDED_LLM]: excludedLlm,
    ...metadata
  } = hit.metadata ?? {};
  const scores: M3NodeScores = { score: hit.score, signalScores: { ...hit.signalScores } };
  return new TextNode<Record<string, unknown>>({
    id_: hit.id,
    text: hit.text ?? '',
    metadata: { ...metadata, [SCORES_KEY]: scores },
    excludedEmbedMetadataKeys: [...stringList(excludedEmbed), SCORES_KEY],
    excludedLlmMetadataKeys: [...stringList(excludedLlm), SCORES_KEY],
    relationships:
      typeof refDocId === 'string'
        ? { [NodeRelationship.SOURCE]: { nodeId: refDocId, metadata: {} } }
        : {},
  });
}

function modePlan(
  mode: VectorStoreQueryMode,
  alpha: number,
): { signals: readonly Signal[]; weights?: Partial<Record<Signal, number>> } {
  switch (mode) {
    case VectorStoreQueryMode.DEFAULT:
      return { signals: ['dense'] };
    case VectorStoreQueryMode.SPARSE:
      return { signals: ['sparse'] };
    case VectorStoreQueryMode.HYBRID: {
      const a = checkAlpha(alpha, 'alpha');
      return { signals: ['dense', 'sparse'], weights: { dense: a, sparse: 1 - a } };
    }
    default:
      throw new UnsupportedError({
        backend: 'm3kit',
        feature: `query mode ${String(mode)}`,
        message: 'use default, sparse or hybrid',
      });
  }
}

function checkAlpha(alpha: number, name: string): number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new InvalidInputError(`${name} must be a number from 0 (sparse only) to 1 (dense only)`, {
      item: name,
    });
  }
  return alpha;
}

function combine(a: Filter | undefined, b: Filter | undefined): Filter | undefined {
  return a && b ? filters.and(a, b) : (a ?? b);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
