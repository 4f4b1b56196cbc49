import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { MultiVector } from './types.js';

/**
 * ColBERT rows with one int8 code per value and one float32 scale per row: 1,028 bytes a
 * 1024-d row instead of 4,096. Rows are unit-normalised, so a row's largest magnitude sets its
 * scale and the rounding error of a dot product stays around 1e-3 of its value.
 */
export interface Int8MultiVector {
  readonly codes: Int8Array;
  readonly scales: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

/** Quantises each row to int8 with its own scale (max |x| / 127). */
export function quantizeMultiVectorInt8(vectors: MultiVector): Int8MultiVector {
  const { rows, dim, data } = vectors;
  const codes = new Int8Array(rows * dim);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const offset = r * dim;
    let max = 0;
    for (let c = 0; c < dim; c++) max = Math.max(max, Math.abs(data[offset + c]!));
    const scale = max > 0 ? max / 127 : 1;
    scales[r] = scale;
    for (let c = 0; c < dim; c++) codes[offset + c] = Math.round(data[offset + c]! / scale);
  }
  return { codes, scales, rows, dim };
}

/** Back to float32 rows (what the MaxSim kernel scores). */
export function dequantizeMultiVectorInt8(vectors: Int8MultiVector): MultiVector {
  const { rows, dim, codes, scales } = vectors;
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const scale = scales[r]!;
    const offset = r * dim;
    for (let c = 0; c < dim; c++) data[offset + c] = codes[offset + c]! * scale;
  }
  return { data, rows, dim };
}

/** Packs an int8 multi-vector into bytes: a row count and dim header, scales, then codes. */
export function encodeInt8MultiVector(vectors: Int8MultiVector): Uint8Array {
  const bytes = new Uint8Array(8 + vectors.rows * 4 + vectors.codes.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, vectors.rows, true);
  view.setUint32(4, vectors.dim, true);
  for (let r = 0; r < vectors.rows; r++) view.setFloat32(8 + r * 4, vectors.scales[r]!, true);
  bytes.set(
    new Uint8Array(vectors.codes.buffer, vectors.codes.byteOffset, vectors.codes.length),
    8 + vectors.rows * 4,
  );
  return bytes;
}

/** The inverse of `encodeInt8MultiVector`; rejects bytes of the wrong length. */
export function decodeInt8MultiVector(bytes: Uint8Array): Int8MultiVector {
  if (bytes.length < 8)
    throw new InvalidInputError(
      `int8 ColBERT blob of ${bytes.length} bytes is shorter than its header`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const rows = view.getUint32(0, true);
  const dim = view.getUint32(4, true);
  const expected = 8 + rows * 4 + rows * dim;
  if (bytes.length !== expected) {
    throw new InvalidInputError(
      `int8 ColBERT blob of ${bytes.length} bytes does not hold ${rows} rows of ${dim} (needs ${expected})`,
    );
  }
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = view.getFloat32(8 + r * 4, true);
  const codes = new Int8Array(rows * dim);
  codes.set(new Int8Array(bytes.buffer, bytes.byteOffset + 8 + rows * 4, rows * dim));
  return { codes, scales, rows, dim };
}

/**
 * One sign bit per value (128 bytes a 1024-d row): for candidate scoring only, where the
 * candidates are then rescored exactly. The inner product of two unit rows is estimated from the
 * Hamming distance h as cos(pi * h / dim) (the angle of random-hyperplane hashing).
 */
export interface BinaryMultiVector {
  readonly bits: Uint32Array;
  readonly rows: number;
  readonly dim: number;
}

export function binarizeMultiVector(vectors: MultiVector): BinaryMultiVector {
  const words = Math.ceil(vectors.dim / 32);
  const bits = new Uint32Array(vectors.rows * words);
  for (let r = 0; r < vectors.rows; r++) {
    for (let c = 0; c < vectors.dim; c++) {
      if (vectors.data[r * vectors.dim + c]! > 0) bits[r * words + (c >> 5)]! |= 1 << (c & 31);
    }
  }
  return { bits, rows: vectors.rows, dim: vectors.dim };
}

/** ColBERT score (÷ query rows) of a float query against binary passage rows, by sign agreement. */
export function binaryColbertScore(query: MultiVector, passage: BinaryMultiVector): number {
  if (query.rows === 0 || passage.rows === 0) return 0;
  const queryBits = binarizeMultiVector(query);
  const words = Math.ceil(query.dim / 32);
  let sum = 0;
  for (let q = 0; q < query.rows; q++) {
    let best = Number.POSITIVE_INFINITY;
    for (let p = 0; p < passage.rows; p++) {
      let distance = 0;
      for (let w = 0; w < words; w++)
        distance += popcount(queryBits.bits[q * words + w]! ^ passage.bits[p * words + w]!);
      if (distance < best) best = distance;
    }
    sum += Math.cos((Math.PI * best) / query.dim);
  }
  return sum / query.rows;
}

function popcount(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Token pooling: merges the most similar rows of one passage until `ceil(rows / factor)` remain
 * (each merged row the normalised mean of its members). Near-duplicate rows (repeated words,
 * sub-word pieces of one word) carry little extra MaxSim information, so factor 2 halves storage
 * for a small loss; it is applied to passages only, never to queries. `</s>` (the last row) is
 * kept as it is.
 */
export function poolMultiVector(vectors: MultiVector, factor: number): MultiVector {
  if (!Number.isFinite(factor) || factor < 1)
    throw new InvalidInputError(`pooling factor must be a number >= 1, got ${factor}`);
  const { rows, dim, data } = vectors;
  const poolable = rows - 1;
  const target = Math.max(1, Math.ceil(poolable / factor));
  if (poolable <= target) return vectors;
  const sums: Float32Array[] = [];
  const members: number[] = [];
  for (let r = 0; r < poolable; r++) {
    sums.push(data.slice(r * dim, (r + 1) * dim));
    members.push(1);
  }
  const alive = new Array<boolean>(poolable).fill(true);
  const similarity = new Float32Array(poolable * poolable).fill(Number.NEGATIVE_INFINITY);
  for (let a = 0; a < poolable; a++) {
    for (let b = a + 1; b < poolable; b++)
      similarity[a * poolable + b] = cosine(sums[a]!, sums[b]!);
  }
  for (let remaining = poolable; remaining > target; remaining--) {
    let bestA = -1;
    let bestB = -1;
    let best = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < poolable; a++) {
      if (!alive[a]) continue;
      for (let b = a + 1; b < poolable; b++) {
        const s = similarity[a * poolable + b]!;
        if (alive[b] && s > best) {
          best = s;
          bestA = a;
          bestB = b;
        }
      }
    }
    const merged = sums[bestA]!;
    const other = sums[bestB]!;
    for (let c = 0; c < dim; c++) merged[c]! += other[c]!;
    members[bestA]! += members[bestB]!;
    alive[bestB] = false;
    for (let x = 0; x < poolable; x++) {
      if (!alive[x] || x === bestA) continue;
      const [low, high] = x < bestA ? [x, bestA] : [bestA, x];
      similarity[low * poolable + high] = cosine(sums[low]!, sums[high]!);
    }
  }
  const kept = sums.filter((_, r) => alive[r]);
  const pooled = new Float32Array((kept.length + 1) * dim);
  kept.forEach((sum, r) => {
    pooled.set(normalised(sum), r * dim);
  });
  pooled.set(data.subarray(poolable * dim, rows * dim), kept.length * dim);
  return { data: pooled, rows: kept.length + 1, dim };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dotProduct = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dotProduct += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dotProduct / (Math.sqrt(normA * normB) || 1);
}

function normalised(vector: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm) || 1;
  return vector.map((v) => v / norm);
}
