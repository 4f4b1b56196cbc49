export { QdrantStore } from './qdrant-store.js';
export type { QdrantStoreOptions, RetryOptions } from './options.js';
export type {
  BinaryQuantizationOptions,
  QuantizationOptions,
  ScalarQuantizationOptions,
  TurboQuantizationOptions,
  VectorDatatype,
} from './vector-storage.js';
export { QDRANT_DEFAULT_MAX_REQUEST_BYTES, QDRANT_MULTIVECTOR_MAX_FLOATS } from './options.js';
export { QDRANT_SCORE_TOLERANCE, RECALL_FLOORS, qdrantCapabilities } from './capabilities.js';
export type { QdrantServerFeatures } from './server-features.js';
export { featuresForVersion } from './server-features.js';
export { translateFilter } from './filter-translation.js';
export { M3KIT_POINT_NAMESPACE, pointIdFor, uuidV5 } from './point-id.js';
