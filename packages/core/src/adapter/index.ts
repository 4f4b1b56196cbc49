// @m3kit/core/adapter: what every backend adapter would otherwise write for itself. Pure
// functions over core's types; no client, no I/O of its own.
export { abortable, isAbortError, throwIfAborted, withTimeoutSignal } from './abort.js';
export type { StoredHitFields } from './build-hit.js';
export { buildHit } from './build-hit.js';
export { chunk } from './chunk.js';
export type {
  PreparedDeletes,
  PreparedWrite,
  PreparedWrites,
  PrepareWritesOptions,
} from './prepare-writes.js';
export { failureId, prepareDeletes, prepareWrites } from './prepare-writes.js';
export type { ScoredId } from './rank-order.js';
export { byScoreThenId, rankByScoreThenId } from './rank-order.js';
export type { NumberRange, OptionScope } from './resolve-option.js';
export {
  optionError,
  resolveBoolean,
  resolveEnum,
  resolveNumberInRange,
  resolvePositiveInteger,
} from './resolve-option.js';
export { fallbackM3Error } from './to-m3-error.js';
export type { WriteBatchesOptions, WriteItem } from './write-batches.js';
export { writeBatches } from './write-batches.js';
export type {
  AdapterRetryOptions,
  AdapterWriteOptions,
  ResolvedAdapterRetryOptions,
  ResolvedAdapterWriteOptions,
} from './write-settings.js';
export { DEFAULT_RETRY, resolveRetryOptions, resolveWriteOptions } from './write-settings.js';
// Core pieces adapters use with the kit, so one import serves.
export { finishWrite } from '../store/write-report.js';
export { batchBySize, estimateRecordJsonBytes } from '../util/batching.js';
export { mapWithConcurrency } from '../util/concurrency.js';
export type { RetryOptions } from '../util/retry.js';
export { sleep, withRetry } from '../util/retry.js';
// The integer MaxSim kernel and its query quantiser, for adapters that rescore stored rows.
export { MAXSIM_INT_WASM_BASE64 } from '../scoring/maxsim-int-wasm.js';
export { INT16_NORM_LIMIT, quantiseRows } from '../scoring/maxsim-int8.js';
