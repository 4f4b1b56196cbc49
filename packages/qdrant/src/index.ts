export { QdrantStore } from './qdrant-store.js';
export type { QdrantStoreOptions, ScalarQuantizationOptions } from './qdrant-store-options.js';
export { QDRANT_DEFAULT_MAX_REQUEST_BYTES, QDRANT_MULTIVECTOR_MAX_FLOATS } from './qdrant-store-options.js';
export { QDRANT_SCORE_TOLERANCE, RECALL_FLOORS, qdrantCapabilities } from './capabilities.js';
export type { QdrantServerFeatures } from './server-version.js';
export { featuresForVersion } from './server-version.js';
export { translateFilter } from './filter-translation.js';
export { M3KIT_POINT_NAMESPACE, pointIdFor, uuidV5 } from './point-id.js';
