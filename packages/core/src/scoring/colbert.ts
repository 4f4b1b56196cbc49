import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import type { MultiVector } from '../embedding/types.js';
import { dot } from './dense.js';

/**
 * FlagEmbedding's `colbert_score`: for each query vector the best inner product with any passage
 * vector, summed, divided by the number of query vectors. (Qdrant's max_sim and Elasticsearch's
 * MaxSim return the undivided sum: divide by `query.rows` to compare.)
 */
export function colbertScore(query: MultiVector, passage: MultiVector): number {
  if (query.rows === 0) return 0;
  return maxSimSum(query, passage) / query.rows;
}

/** Sum over query rows of the max inner product over passage rows (the undivided MaxSim). */
export function maxSimSum(query: MultiVector, passage: MultiVector): number {
  if (query.dim !== passage.dim) {
    throw new DimensionMismatchError({ what: 'ColBERT vectors', expected: query.dim, actual: passage.dim });
  }
  if (passage.rows === 0) return 0;
  const dim = query.dim;
  let total = 0;
  for (let q = 0; q < query.rows; q++) {
    let best = -Infinity;
    for (let p = 0; p < passage.rows; p++) {
      const s = dot(query.data, q * dim, passage.data, p * dim, dim);
      if (s > best) best = s;
    }
    total += best;
  }
  return total;
}
