import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { M3Embedding, Signal } from '../embedding/types.js';
import { DEFAULT_SIGNAL_WEIGHTS } from '../query/hybrid-query.js';
import { colbertScore } from './colbert.js';
import { denseScore } from './dense.js';
import { lexicalMatchingScore } from './lexical.js';

/** The score of one signal between a query and a passage embedding, as FlagEmbedding computes it. */
export function signalScore(signal: Signal, query: M3Embedding, passage: M3Embedding): number {
  if (signal === 'dense') {
    if (!query.dense || !passage.dense) throw missing(signal);
    return denseScore(query.dense, passage.dense);
  }
  if (signal === 'sparse') {
    if (!query.lexical || !passage.lexical) throw missing(signal);
    return lexicalMatchingScore(query.lexical, passage.lexical);
  }
  if (!query.colbert || !passage.colbert) throw missing(signal);
  return colbertScore(query.colbert, passage.colbert);
}

/** Per-signal scores and their weighted combination, the same numbers as `compute_score`. */
export interface M3Scores {
  readonly dense?: number;
  readonly sparse?: number;
  readonly colbert?: number;
  /** sum(w_i * s_i) / sum(w_i) over the signals scored. */
  readonly combined: number;
}

/**
 * FlagEmbedding's `compute_score` for one pair: each requested signal's score, and their sum
 * weighted by `weights` and divided by the sum of the weights used (0.4 / 0.2 / 0.4 by default,
 * FlagEmbedding's `weights_for_different_modes` order being dense, sparse, colbert).
 */
export function m3Score(
  query: M3Embedding,
  passage: M3Embedding,
  options: { signals?: readonly Signal[]; weights?: Partial<Record<Signal, number>> } = {},
): M3Scores {
  const signals = options.signals ?? (['dense', 'sparse', 'colbert'] as const);
  const weights = { ...DEFAULT_SIGNAL_WEIGHTS, ...options.weights };
  const scores: { dense?: number; sparse?: number; colbert?: number } = {};
  let weighted = 0;
  let weightSum = 0;
  for (const signal of signals) {
    const score = signalScore(signal, query, passage);
    scores[signal] = score;
    weighted += weights[signal] * score;
    weightSum += weights[signal];
  }
  if (!(weightSum > 0))
    throw new InvalidInputError('m3Score needs signals whose weights sum to more than 0');
  return { ...scores, combined: weighted / weightSum };
}

function missing(signal: Signal): InvalidInputError {
  return new InvalidInputError(`both embeddings need the ${signal} output to score ${signal}`);
}
