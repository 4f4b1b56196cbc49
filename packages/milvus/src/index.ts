export { MilvusStore, type MilvusStoreOptions } from './milvus-store.js';
export type { IndexChoice } from './schema.js';
export { FLAT_INDEX, colbertCollectionName } from './schema.js';
export { filterToExpression, quoteString } from './filter-translation.js';
