export * from './errors/index.js';
export type { LexicalWeights, MultiVector, M3Embedding, Signal } from './embedding/types.js';
export { ALL_SIGNALS, hasSignal } from './embedding/types.js';
export { lexicalFromPairs, lexicalFromRecord, lexicalToRecord } from './embedding/lexical.js';
export { multiVectorFromRows, multiVectorRow, multiVectorToRows } from './embedding/multivector.js';
export type { BinaryMultiVector, Int8MultiVector } from './embedding/compact-multivector.js';
export {
  binarizeMultiVector,
  binaryColbertScore,
  decodeInt8MultiVector,
  dequantizeMultiVectorInt8,
  encodeInt8MultiVector,
  poolMultiVector,
  quantizeMultiVectorInt8,
} from './embedding/compact-multivector.js';
export {
  RECORD_LIMITS,
  validateRecord,
  validateId,
  validateDense,
  validateLexical,
  validateMultiVector,
  checkMetadataTypes,
  describeMetadataValue,
  fitsMetadataType,
} from './embedding/validate-record.js';
export { UNIT_LENGTH_TOLERANCE, isUnitLength, l2Norm } from './embedding/unit-length.js';
export type { Metadata, MetadataScalar, MetadataValue, M3Document, M3Record } from './document.js';
export { flattenMetadata } from './metadata/flatten-metadata.js';
export type { Filter, FilterOp } from './filter/filter.js';
export { ALL_FILTER_OPS, FIELD_NAME_PATTERN, filters } from './filter/filter.js';
export { validateFilter } from './filter/validate-filter.js';
export { evaluateFilter } from './filter/evaluate-filter.js';
export type {
  Fusion,
  FusionKind,
  HybridQuery,
  QueryExecution,
  QueryHit,
  QueryResult,
} from './query/hybrid-query.js';
export { DEFAULT_RRF_K, DEFAULT_SIGNAL_WEIGHTS } from './query/hybrid-query.js';
export type { ResolvedQuery } from './query/resolve-query.js';
export { defaultCandidateDepth, MAX_TOP_K, resolveQuery } from './query/resolve-query.js';
export { validateQueryEmbedding } from './query/validate-query-embedding.js';
export { resolveFilter } from './query/resolve-filter.js';
export type { ResolvedScanOptions } from './query/resolve-scan.js';
export {
  DEFAULT_SCAN_PAGE_SIZE,
  MAX_SCAN_PAGE_SIZE,
  resolveScanOptions,
} from './query/resolve-scan.js';
export { denseScore, dot } from './scoring/dense.js';
export { lexicalMatchingScore } from './scoring/lexical.js';
export {
  colbertScore,
  colbertScores,
  colbertScoresInt8,
  maxSimSum,
  maxSimSums,
} from './scoring/colbert.js';
export type { M3Scores } from './scoring/m3-score.js';
export { m3Score, signalScore } from './scoring/m3-score.js';
export type { FusedHit, RankedList } from './fusion/fusion.js';
export {
  distributionBasedScoreFusion,
  normaliseByDistribution,
  reciprocalRankFusion,
  weightedScoreFusion,
} from './fusion/fusion.js';
export type {
  CollectionSpec,
  MetadataFieldSpec,
  MetadataFieldType,
  ResolvedCollectionSpec,
} from './store/collection-spec.js';
export { BGE_M3_DENSE_DIMENSION, resolveCollectionSpec } from './store/collection-spec.js';
export type {
  GetOptions,
  M3StoreV1,
  ModeAccuracy,
  OperationOptions,
  QueryMode,
  ScannedRecord,
  ScanOptions,
  StoreCapabilities,
  StoredRecord,
  WriteFailure,
  WriteOptions,
  WriteReport,
} from './store/store-v1.js';
export type { CandidateScores } from './store/rank.js';
export { isCandidate, rankCandidates, signalList } from './store/rank.js';
export { finishWrite } from './store/write-report.js';
export type { EncodedRecord } from './store/record-codec.js';
export { decodeRecord, encodeRecord } from './store/record-codec.js';
export type { ExactStoreOptions } from './store/exact-store.js';
export type { StoreDamage } from './store/exact-store-log.js';
/** Removes an embedded store file's ColBERT side files (what `m3 drop` deletes beside the file). */
export { removeStaleSideFiles as removeExactStoreSideFiles } from './store/exact-store-colbert-file.js';
export {
  EXACT_STORE_CAPABILITIES,
  ExactStore,
  checkQueryDimensions,
  resolvePageSize,
  scoreRecords,
} from './store/exact-store.js';
export type {
  EncodeOptions,
  EncodedText,
  M3EncoderV1,
  TokenizeOptions,
  TokenizedText,
} from './encoder/encoder-v1.js';
export { batchBySize, estimateRecordJsonBytes } from './util/batching.js';
export type { RetryOptions } from './util/retry.js';
export { sleep, withRetry } from './util/retry.js';
export { mapWithConcurrency } from './util/concurrency.js';
export type { Chunk, ChunkingOptions, TokenSpans } from './ingest/chunking.js';
export { chunkDocuments, chunkSpans, resolveChunking, tokenSpans } from './ingest/chunking.js';
export type {
  DuplicateDocument,
  IngestOptions,
  IngestReport,
  SkippedDocument,
} from './ingest/ingest.js';
export type { FingerprintContext } from './ingest/fingerprint.js';
export { documentFingerprint, shardOf } from './ingest/fingerprint.js';
export type { PruneReport } from './ingest/prune.js';
export type { ShardSpec } from './ingest/shard.js';
export { sha256Hex } from './ingest/sha256.js';
export {
  RESERVED_METADATA_PREFIX,
  SYNC_FIELDS,
  SYNC_METADATA_FIELDS,
  checkSyncFields,
  withSyncFields,
} from './ingest/sync-fields.js';
export type { DocumentVersion } from './ingest/versions.js';
export { groupVersions, staleChunkIds, winningVersion } from './ingest/versions.js';
export { ingest } from './ingest/ingest.js';
export { IngestError } from './ingest/ingest-error.js';
export type { IngestProgress } from './ingest/progress.js';
