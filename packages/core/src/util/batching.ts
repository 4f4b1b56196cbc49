import type { M3Record } from '../document.js';

/**
 * Splits items into batches no larger than `maxBytes` (by `sizeOf`) and `maxItems`. An item larger
 * than `maxBytes` on its own gets a batch of its own: the backend then says whether it fits.
 */
export function batchBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: { readonly maxBytes: number; readonly maxItems?: number },
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  const maxItems = limits.maxItems ?? Number.POSITIVE_INFINITY;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (bytes + size > limits.maxBytes || current.length >= maxItems)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Characters a float takes in a JSON request body, sign, digits, exponent and comma included. */
const JSON_BYTES_PER_FLOAT = 12;

/** An upper estimate of a record's JSON request size, for sizing batches before serialising. */
export function estimateRecordJsonBytes(record: M3Record): number {
  const { dense, lexical, colbert } = record.embedding;
  let bytes = 256 + record.id.length * 3 + (record.text?.length ?? 0) * 3;
  if (record.metadata) bytes += JSON.stringify(record.metadata).length * 2;
  if (dense) bytes += dense.length * JSON_BYTES_PER_FLOAT;
  if (lexical) bytes += lexical.indices.length * (JSON_BYTES_PER_FLOAT + 8);
  if (colbert) bytes += colbert.data.length * JSON_BYTES_PER_FLOAT + colbert.rows * 2;
  return bytes;
}
