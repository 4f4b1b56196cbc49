import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';

/** Inner product of two dense vectors (cosine for BGE-M3's normalised outputs), as FlagEmbedding's `q @ p.T`. */
export function denseScore(query: Float32Array, passage: Float32Array): number {
  if (query.length !== passage.length) {
    throw new DimensionMismatchError({
      what: 'dense vector',
      expected: query.length,
      actual: passage.length,
    });
  }
  return dot(query, 0, passage, 0, query.length);
}

/** Dot product of `length` floats from two offsets; unrolled by four, the hot loop of every scorer. */
export function dot(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  length: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < length; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}
