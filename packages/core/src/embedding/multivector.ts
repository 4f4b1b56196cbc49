import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { MultiVector } from './types.js';

/** Packs nested rows (FlagEmbedding's `colbert_vecs`) into a row-major MultiVector. */
export function multiVectorFromRows(rows: readonly ArrayLike<number>[], dim?: number): MultiVector {
  const width = dim ?? rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    if (row.length !== width) {
      throw new InvalidInputError(`ColBERT row ${r} has ${row.length} values, expected ${width}`);
    }
    for (let c = 0; c < width; c++) data[r * width + c] = row[c] ?? 0;
  });
  return { data, rows: rows.length, dim: width };
}

/** Row r of a MultiVector as a view (no copy). */
export function multiVectorRow(vectors: MultiVector, row: number): Float32Array {
  return vectors.data.subarray(row * vectors.dim, (row + 1) * vectors.dim);
}

/** Unpacks a MultiVector into nested number arrays (JSON, FlagEmbedding's form). */
export function multiVectorToRows(vectors: MultiVector): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < vectors.rows; r++) rows.push(Array.from(multiVectorRow(vectors, r)));
  return rows;
}
