import {
  ALL_FILTER_OPS,
  type ModeAccuracy,
  type QueryMode,
  type StoreCapabilities,
} from '@m3kit/core';
import { BACKEND } from './errors.js';
import type { ResolvedElasticOptions } from './options.js';

/** What an Elasticsearch store can do, from its resolved options alone (pure). */
export function elasticCapabilities(options: ResolvedElasticOptions): StoreCapabilities {
  // Flat indices are brute force: kNN candidates are then exactly the top by direction.
  const exactDense = options.layout.dense.type === 'flat';
  // Candidate-based modes: the lower of the recall measured on the conformance corpus and on
  // 10,000 synthetic points (bench/dist/store-bench.js --backend elastic), rounded down. The
  // realistic corpus (signals that agree, as a real model's do) measured 1.000 in every mode at
  // 1,000 passages: the bounds below are the independent-noise corpus's, the worst seen.
  const accuracy: Record<QueryMode, ModeAccuracy> = {
    dense: exactDense ? 'exact' : { minRecallAt10: 0.9 },
    sparse: 'exact',
    colbert: { minRecallAt10: 0.75 },
    weighted: { minRecallAt10: 0.9 },
    rrf: { minRecallAt10: 0.75 },
    dbsf: { minRecallAt10: 0.75 },
  };
  // Relative ColBERT score error by stored form: int8 measured at most 3.7e-4 on the realistic
  // corpus (bench/dist/colbert-compact-bench.js), int16 ~1e-6 (bench/elastic-colbert-rescore.mjs).
  const colbertTolerance = { int8: 1e-3, int16: 1e-4, float32: 1e-6 }[
    options.layout.colbertEncoding
  ];
  return {
    backend: BACKEND,
    signals: options.collection.signals,
    nativeFusion: options.scoring === 'server' ? ['weighted'] : [],
    nativeColbert: false,
    filterOps: ALL_FILTER_OPS,
    accuracy,
    scoreTolerance: options.scoring === 'server' ? 4e-3 : colbertTolerance,
  };
}
