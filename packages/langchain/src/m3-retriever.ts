import type { CallbackManagerForRetrieverRun } from '@langchain/core/callbacks/manager';
import type { DocumentInterface } from '@langchain/core/documents';
import { VectorStoreRetriever, type VectorStoreRetrieverInput } from '@langchain/core/vectorstores';
import { InvalidInputError } from '@m3kit/core';
import type { M3LangChainFilter } from './filter-translation.js';
import type { M3HybridOptions } from './hybrid-options.js';
import type { M3VectorStore } from './m3-vector-store.js';

/** A retriever's options: LangChain's (`k`, `filter`, callbacks, tags) plus the hybrid query. */
export type M3RetrieverFields<V extends M3VectorStore = M3VectorStore> = Omit<
  VectorStoreRetrieverInput<V>,
  'filter' | 'searchType' | 'searchKwargs'
> &
  M3HybridOptions & {
    readonly filter?: M3LangChainFilter;
    /** Only `similarity`: m3kit ranks by its hybrid query, not by MMR. */
    readonly searchType?: 'similarity';
  };

/**
 * A LangChain retriever that runs m3kit's hybrid query (signals, weights, fusion, candidates,
 * filter). Each Document carries its fused and per-signal scores in `metadata.m3kit`.
 */
export class M3Retriever<V extends M3VectorStore = M3VectorStore> extends VectorStoreRetriever<V> {
  static override lc_name(): string {
    return 'M3Retriever';
  }

  readonly hybrid: M3HybridOptions;
  declare filter?: M3LangChainFilter;

  constructor(fields: M3RetrieverFields<V>) {
    if ((fields.searchType as string | undefined) === 'mmr') {
      throw new InvalidInputError(
        'm3kit retrievers rank by the hybrid query; searchType "mmr" is not offered',
        { item: 'searchType' },
      );
    }
    const { signals, weights, fusion, candidates, ...rest } = fields;
    super({ ...rest, searchType: 'similarity' } as VectorStoreRetrieverInput<V>);
    this.hybrid = {
      ...(signals ? { signals } : {}),
      ...(weights ? { weights } : {}),
      ...(fusion ? { fusion } : {}),
      ...(candidates !== undefined ? { candidates } : {}),
    };
  }

  override async _getRelevantDocuments(
    query: string,
    _runManager?: CallbackManagerForRetrieverRun,
  ): Promise<DocumentInterface[]> {
    const results = await this.vectorStore.hybridSearch(query, {
      ...this.hybrid,
      k: this.k,
      ...(this.filter === undefined ? {} : { filter: this.filter }),
    });
    return results.map(([document]) => document);
  }
}
