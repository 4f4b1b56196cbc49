export { M3Embeddings } from './m3-embeddings.js';
export type { M3EmbeddingsParams } from './m3-embeddings.js';
export { M3VectorStore } from './m3-vector-store.js';
export type {
  M3AddDocumentsOptions,
  M3DeleteParams,
  M3SearchOptions,
  M3VectorStoreArgs,
} from './m3-vector-store.js';
export { M3Retriever } from './m3-retriever.js';
export type { M3RetrieverFields } from './m3-retriever.js';
export type { M3HitScores, M3HybridOptions } from './hybrid-options.js';
export type { FieldCondition, LangChainFilter, M3LangChainFilter } from './filter-translation.js';
export { isCoreFilter, toCoreFilter } from './filter-translation.js';
/** Core's flattenMetadata, under the name this package has always exported. */
export { flattenMetadata as toM3Metadata } from '@m3kit/core';
