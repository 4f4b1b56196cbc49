/**
 * How far from 1 an L2 norm may be and still count as BGE-M3 output. FlagEmbedding normalises in
 * the model's precision: with `use_fp16` each value is rounded to fp16 (relative error up to
 * 2^-11) after the division, which moves the norm by a few 1e-4; 1e-2 admits that and still
 * catches a vector nobody normalised (norms of 0, 0.5, 2, 30, ...).
 */
export const UNIT_LENGTH_TOLERANCE = 1e-2;

/** The L2 norm of `length` floats of `values` from `offset`, accumulated in double precision. */
export function l2Norm(values: Float32Array, offset = 0, length = values.length - offset): number {
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

/** Whether the norm is 1 within UNIT_LENGTH_TOLERANCE. */
export function isUnitLength(norm: number): boolean {
  return Math.abs(norm - 1) <= UNIT_LENGTH_TOLERANCE;
}
