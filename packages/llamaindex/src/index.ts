export { M3Embedding } from './m3-embedding.js';
export type { M3EmbeddingParams } from './m3-embedding.js';
export { LLAMAINDEX_METADATA_FIELDS, M3VectorStore } from './m3-vector-store.js';
export type { M3NodeScores, M3QueryParams, M3VectorStoreParams } from './m3-vector-store.js';
export { M3ColbertRerank } from './m3-colbert-rerank.js';
export type { M3ColbertRerankParams } from './m3-colbert-rerank.js';
export { toCoreFilter } from './filter-translation.js';
/** Core's flattenMetadata, under the name this package has always exported. */
export { flattenMetadata as toM3Metadata } from '@m3kit/core';
