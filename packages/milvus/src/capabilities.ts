import {
  ALL_FILTER_OPS,
  type ModeAccuracy,
  type QueryMode,
  type StoreCapabilities,
  type Signal,
} from '@m3kit/core';
import type { ColbertVectorType, IndexChoice } from './collection-layout.js';
import { BACKEND } from './errors.js';

/** Server scores are float32 dot products; the exact store sums in float64. */
const SCORE_TOLERANCE = 1e-5;
/**
 * float16 token rows: each value within 2^-11 of its own size, so a row dot product within about
 * 1e-4 of the float32 one; declared with margin, as the other stores' compact forms are.
 */
const FLOAT16_SCORE_TOLERANCE = 1e-3;
/** Approximate indexes promise no exact top-k; this is the bound declared unless the caller measures another. */
const APPROXIMATE_RECALL = 0.9;

export interface CapabilityInputs {
  readonly signals: readonly Signal[];
  readonly denseIndex: IndexChoice;
  readonly colbertIndex: IndexChoice;
  readonly colbertVectorType?: ColbertVectorType;
  readonly nativeRrf: boolean;
  /** Overrides of the declared accuracy, e.g. a measured recall for an approximate index. */
  readonly accuracy?: Partial<Record<QueryMode, ModeAccuracy>> | undefined;
}

/** What a Milvus store declares: FLAT indexes are exact, others approximate unless measured. */
export function milvusCapabilities(inputs: CapabilityInputs): StoreCapabilities {
  const denseExact = inputs.denseIndex.type.toUpperCase() === 'FLAT';
  const colbertExact = inputs.colbertIndex.type.toUpperCase() === 'FLAT';
  const approximate: ModeAccuracy = { minRecallAt10: APPROXIMATE_RECALL };
  const fused = denseExact && colbertExact ? 'exact' : approximate;
  return {
    backend: BACKEND,
    signals: inputs.signals,
    nativeFusion: inputs.nativeRrf ? ['rrf'] : [],
    nativeColbert: false,
    filterOps: ALL_FILTER_OPS,
    accuracy: {
      dense: denseExact ? 'exact' : approximate,
      // SPARSE_INVERTED_INDEX with drop ratios of 0 is an exhaustive inner product.
      sparse: 'exact',
      colbert: colbertExact ? 'exact' : approximate,
      weighted: fused,
      rrf: fused,
      dbsf: fused,
      ...inputs.accuracy,
    },
    scoreTolerance:
      inputs.signals.includes('colbert') && inputs.colbertVectorType !== 'float32'
        ? FLOAT16_SCORE_TOLERANCE
        : SCORE_TOLERANCE,
  };
}
