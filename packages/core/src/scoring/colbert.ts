import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import {
  dequantizeMultiVectorInt8,
  type Int8MultiVector,
} from '../embedding/compact-multivector.js';
import type { MultiVector } from '../embedding/types.js';
import { dot } from './dense.js';
import { maxSimSumsInt8 } from './maxsim-int8.js';
import { maxSimSumsWasm } from './maxsim-kernel.js';

/**
 * FlagEmbedding's `colbert_score`: for each query vector the best inner product with any passage
 * vector, summed, divided by the number of query vectors. (Qdrant's max_sim and Elasticsearch's
 * MaxSim return the undivided sum: divide by `query.rows` to compare.)
 */
export function colbertScore(query: MultiVector, passage: MultiVector): number {
  if (query.rows === 0) return 0;
  return maxSimSum(query, passage) / query.rows;
}

/**
 * ColBERT scores of one query against many passages (client-side rescoring of candidates): the
 * WebAssembly SIMD kernel where available, float32 like FlagEmbedding's torch einsum.
 */
export function colbertScores(query: MultiVector, passages: readonly MultiVector[]): Float64Array {
  const sums = maxSimSums(query, passages);
  return query.rows === 0 ? sums.fill(0) : sums.map((sum) => sum / query.rows);
}

/**
 * ColBERT scores against passages stored as int8 codes with a scale a row (core's compact form),
 * in the integer WebAssembly kernel against the query quantised to int16 (maxsim-int8.ts).
 */
export function colbertScoresInt8(
  query: MultiVector,
  passages: readonly Int8MultiVector[],
): Float64Array {
  for (const passage of passages) {
    if (passage.dim !== query.dim) {
      throw new DimensionMismatchError({
        what: 'ColBERT vectors',
        expected: query.dim,
        actual: passage.dim,
      });
    }
  }
  const sums =
    maxSimSumsInt8(query, passages) ??
    Float64Array.from(passages, (p) => maxSimSumScalar(query, dequantizeMultiVectorInt8(p)));
  return query.rows === 0 ? sums.fill(0) : sums.map((sum) => sum / query.rows);
}

/** The undivided MaxSim of one query against many passages. */
export function maxSimSums(query: MultiVector, passages: readonly MultiVector[]): Float64Array {
  for (const passage of passages) {
    if (passage.dim !== query.dim) {
      throw new DimensionMismatchError({
        what: 'ColBERT vectors',
        expected: query.dim,
        actual: passage.dim,
      });
    }
  }
  return (
    maxSimSumsWasm(query.data, query.rows, passages, query.dim) ??
    Float64Array.from(passages, (p) => maxSimSumScalar(query, p))
  );
}

/** Sum over query rows of the max inner product over passage rows (the undivided MaxSim). */
export function maxSimSum(query: MultiVector, passage: MultiVector): number {
  return maxSimSums(query, [passage])[0]!;
}

/** The plain JavaScript MaxSim: the fallback without WebAssembly SIMD, and the kernel's yardstick. */
export function maxSimSumScalar(query: MultiVector, passage: MultiVector): number {
  if (query.dim !== passage.dim) {
    throw new DimensionMismatchError({
      what: 'ColBERT vectors',
      expected: query.dim,
      actual: passage.dim,
    });
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
