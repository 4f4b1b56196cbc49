export { MilvusStore, type MilvusStoreOptions } from './milvus-store.js';
export type { IndexChoice } from './collection-layout.js';
export { FLAT_INDEX, colbertCollectionName } from './collection-layout.js';
export { filterToExpression, quoteString } from './filter-translation.js';
