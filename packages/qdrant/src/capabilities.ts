import {
  ALL_FILTER_OPS,
  type FusionKind,
  type ModeAccuracy,
  type QueryMode,
  type StoreCapabilities,
} from '@m3kit/core';
import type { ResolvedQdrantOptions } from './options.js';
import type { QdrantServerFeatures } from './server-features.js';

/**
 * Recall@10 bounds declared where top-k is not guaranteed to equal the exact store's. They are
 * floors, set below what the conformance corpus measured (see README), not promises about every
 * corpus: HNSW is approximate, ColBERT `rerank` only sees the dense and sparse candidates, and a
 * weighted ranking over the union of candidate lists can miss a document that is in none of them.
 */
export const RECALL_FLOORS = {
  hnsw: 0.9,
  quantized: 0.85,
  weighted: 0.9,
  colbertRerank: 0.7,
} as const;

/**
 * Relative score tolerance: Qdrant computes in float32 (SIMD dot products, float32 score sums),
 * m3kit's exact store in float64.
 */
export const QDRANT_SCORE_TOLERANCE = 2e-5;

export function qdrantCapabilities(
  options: ResolvedQdrantOptions,
  features: QdrantServerFeatures | undefined,
): StoreCapabilities {
  const denseAccuracy: ModeAccuracy = options.dense.quantization
    ? { minRecallAt10: RECALL_FLOORS.quantized }
    : options.search.exact
      ? 'exact'
      : { minRecallAt10: RECALL_FLOORS.hnsw };
  // A ColBERT-only query scans: with a quantised copy it picks candidates by the copy (then
  // rescores them with the originals), and compact rows score approximately everywhere.
  const colbertAccuracy: ModeAccuracy =
    options.colbert.datatype !== 'float32' || options.colbert.quantization
      ? { minRecallAt10: RECALL_FLOORS.quantized }
      : 'exact';
  // RRF and DBSF are exact when every candidate list is: exact dense search, ColBERT scanned.
  const listsExact =
    denseAccuracy === 'exact' &&
    colbertAccuracy === 'exact' &&
    options.search.colbertCandidates === 'scan';
  const listAccuracy: ModeAccuracy = listsExact
    ? 'exact'
    : {
        minRecallAt10:
          options.search.colbertCandidates === 'rerank'
            ? RECALL_FLOORS.colbertRerank
            : RECALL_FLOORS.hnsw,
      };
  const dbsfNative = options.fusion.dbsf !== 'client' && (features?.dbsf ?? true);
  const accuracy: Record<QueryMode, ModeAccuracy> = {
    dense: denseAccuracy,
    sparse: 'exact',
    colbert: colbertAccuracy,
    weighted: { minRecallAt10: RECALL_FLOORS.weighted },
    // Native RRF is core's formula (Qdrant's k set to core's k + 1), native DBSF is core's
    // formula (sample standard deviation): both in float32.
    rrf: listAccuracy,
    dbsf: listAccuracy,
  };
  const nativeFusion: FusionKind[] = [];
  const formula =
    options.fusion.weighted === 'formula' ||
    (options.fusion.weighted === 'auto' && (features?.formula ?? true));
  if (formula) nativeFusion.push('weighted');
  // Before 1.16 only core's k = 1 runs natively (Qdrant's fixed k = 2): not the default k = 60.
  if (options.fusion.rrf !== 'client' && (features?.rrfK ?? true)) nativeFusion.push('rrf');
  if (dbsfNative) nativeFusion.push('dbsf');
  return {
    backend: features ? `qdrant ${features.version}` : 'qdrant',
    signals: ['dense', 'sparse', 'colbert'],
    nativeFusion,
    nativeColbert: true,
    filterOps: ALL_FILTER_OPS,
    accuracy,
    scoreTolerance: QDRANT_SCORE_TOLERANCE,
  };
}
