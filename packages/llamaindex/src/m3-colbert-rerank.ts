import type { MessageContent } from '@llamaindex/core/llms';
import type { BaseNodePostprocessor } from '@llamaindex/core/postprocessor';
import { MetadataMode, type NodeWithScore } from '@llamaindex/core/schema';
import { extractText } from '@llamaindex/core/utils';
import {
  InvalidInputError,
  colbertScores,
  type M3EncoderV1,
  type M3StoreV1,
  type MultiVector,
} from '@m3kit/core';

export interface M3ColbertRerankParams {
  readonly encoder: M3EncoderV1;
  /**
   * Where the nodes' ColBERT rows are stored (an m3kit store holding the colbert signal): read
   * back instead of encoding the nodes again. Nodes it does not hold are encoded.
   */
  readonly store?: M3StoreV1;
  /** Nodes to keep after reranking (default all). */
  readonly topN?: number;
}

/**
 * BGE-M3's ColBERT score (FlagEmbedding's `colbert_score`) as a LlamaIndex node postprocessor:
 * `asQueryEngine({ nodePostprocessors: [new M3ColbertRerank({ encoder, store })] })`. Each
 * node's score becomes its ColBERT score; it is also put in `metadata.m3kit.signalScores.colbert`.
 */
export class M3ColbertRerank implements BaseNodePostprocessor {
  private readonly encoder: M3EncoderV1;
  private readonly store: M3StoreV1 | undefined;
  private readonly topN: number | undefined;

  constructor(params: M3ColbertRerankParams) {
    if (!params?.encoder)
      throw new InvalidInputError('M3ColbertRerank needs `encoder`', { item: 'encoder' });
    if (params.topN !== undefined && (!Number.isInteger(params.topN) || params.topN < 1)) {
      throw new InvalidInputError('topN must be a positive integer', { item: 'topN' });
    }
    if (params.store && !params.store.collection.signals.includes('colbert')) {
      throw new InvalidInputError(
        `collection "${params.store.collection.name}" holds no ColBERT rows`,
        { item: 'store' },
      );
    }
    this.encoder = params.encoder;
    this.store = params.store;
    this.topN = params.topN;
  }

  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (nodes.length === 0) return [];
    const queryText = query === undefined ? '' : extractText(query);
    if (queryText.trim() === '')
      throw new InvalidInputError('a ColBERT rerank needs the query text', { item: 'query' });
    const [encodedQuery] = await this.encoder.encode([queryText], {
      dense: false,
      sparse: false,
      colbert: true,
    });
    const passages = await this.passageRows(nodes);
    const scores = colbertScores(encodedQuery!.colbert!, passages);
    const reranked = nodes.map((item, i) => {
      const previous = (item.node.metadata['m3kit'] ?? {}) as {
        signalScores?: Record<string, number>;
      };
      item.node.metadata['m3kit'] = {
        ...previous,
        signalScores: { ...previous.signalScores, colbert: scores[i]! },
      };
      if (!item.node.excludedLlmMetadataKeys.includes('m3kit'))
        item.node.excludedLlmMetadataKeys.push('m3kit');
      if (!item.node.excludedEmbedMetadataKeys.includes('m3kit'))
        item.node.excludedEmbedMetadataKeys.push('m3kit');
      return { node: item.node, score: scores[i]! };
    });
    reranked.sort((a, b) => b.score - a.score);
    return this.topN === undefined ? reranked : reranked.slice(0, this.topN);
  }

  /** Each node's ColBERT rows: from the store where it holds them, else encoded from the node text. */
  private async passageRows(nodes: readonly NodeWithScore[]): Promise<MultiVector[]> {
    const rows = new Map<string, MultiVector>();
    if (this.store) {
      const stored = await this.store.get(
        nodes.map((n) => n.node.id_),
        { includeEmbedding: true },
      );
      for (const record of stored)
        if (record.embedding?.colbert) rows.set(record.id, record.embedding.colbert);
    }
    const missing = nodes.filter((n) => !rows.has(n.node.id_));
    if (missing.length > 0) {
      const encoded = await this.encoder.encode(
        missing.map((n) => n.node.getContent(MetadataMode.EMBED)),
        { dense: false, sparse: false, colbert: true },
      );
      missing.forEach((n, i) => {
        rows.set(n.node.id_, encoded[i]!.colbert!);
      });
    }
    return nodes.map((n) => rows.get(n.node.id_)!);
  }
}
