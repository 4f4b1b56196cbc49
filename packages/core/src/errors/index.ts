export { M3Error } from './m3-error.js';
export { InvalidInputError } from './invalid-input-error.js';
export { DimensionMismatchError } from './dimension-mismatch-error.js';
export { BackendError } from './backend-error.js';
export { CollectionMismatchError } from './collection-mismatch-error.js';
export { UnsupportedError } from './unsupported-error.js';
export { AbortedError, throwIfAborted } from './aborted-error.js';
export { PartialWriteError } from './partial-write-error.js';
