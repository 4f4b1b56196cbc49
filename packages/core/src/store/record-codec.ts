import type { M3Record } from '../document.js';
import {
  dequantizeMultiVectorInt8,
  type Int8MultiVector,
} from '../embedding/compact-multivector.js';
import type { M3Embedding } from '../embedding/types.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';

/** A record as JSON: typed arrays as base64 of their little-endian bytes (4x smaller than number lists). */
export interface EncodedRecord {
  readonly id: string;
  readonly text?: string;
  readonly metadata?: M3Record['metadata'];
  readonly dense?: string;
  readonly lexical?: { readonly indices: string; readonly values: string };
  /**
   * float32 rows as `data`, or (the exact store's compact form) int8 codes as `int8` with one
   * float32 scale a row as `scales`: 1,028 bytes a 1024-d row instead of 4,096.
   */
  readonly colbert?: EncodedColbert;
}

export type EncodedColbert =
  | { readonly rows: number; readonly dim: number; readonly data: string }
  | { readonly rows: number; readonly dim: number; readonly int8: string; readonly scales: string };

/** `compactColbert`: the record's ColBERT rows in int8 form, written instead of its float32 rows. */
export function encodeRecord(record: M3Record, compactColbert?: Int8MultiVector): EncodedRecord {
  const { dense, lexical } = record.embedding;
  const colbert = compactColbert ?? record.embedding.colbert;
  return {
    id: record.id,
    ...(record.text !== undefined ? { text: record.text } : {}),
    ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
    ...(dense ? { dense: toBase64(dense) } : {}),
    ...(lexical
      ? { lexical: { indices: toBase64(lexical.indices), values: toBase64(lexical.values) } }
      : {}),
    ...(compactColbert
      ? {
          colbert: {
            rows: compactColbert.rows,
            dim: compactColbert.dim,
            int8: toBase64(compactColbert.codes),
            scales: toBase64(compactColbert.scales),
          },
        }
      : colbert && 'data' in colbert
        ? { colbert: { rows: colbert.rows, dim: colbert.dim, data: toBase64(colbert.data) } }
        : {}),
  };
}

/** A record's ColBERT rows as stored: int8 form kept as it is, float32 form decoded. */
export function decodeColbert(encoded: EncodedColbert): Int8MultiVector | M3Embedding['colbert'] {
  const { rows, dim } = encoded;
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 0 || dim < 0)
    throw new InvalidInputError('encoded ColBERT rows have no valid rows/dim');
  if ('int8' in encoded) {
    const codes = new Int8Array(Buffer.from(encoded.int8, 'base64'));
    const scales = new Float32Array(fromBase64(encoded.scales));
    if (codes.length !== rows * dim || scales.length !== rows)
      throw new InvalidInputError(
        `encoded int8 ColBERT rows hold ${codes.length} codes and ${scales.length} scales, not ${rows} x ${dim}`,
      );
    return { codes, scales, rows, dim };
  }
  return { rows, dim, data: new Float32Array(fromBase64(encoded.data)) };
}

/** Whether decoded ColBERT rows are in int8 form. */
export function isInt8Colbert(value: unknown): value is Int8MultiVector {
  return typeof value === 'object' && value !== null && 'codes' in value;
}

export function decodeRecord(encoded: EncodedRecord): M3Record {
  if (typeof encoded?.id !== 'string') throw new InvalidInputError('encoded record has no id');
  const embedding: M3Embedding = {
    ...(encoded.dense !== undefined ? { dense: new Float32Array(fromBase64(encoded.dense)) } : {}),
    ...(encoded.lexical !== undefined
      ? {
          lexical: {
            indices: new Uint32Array(fromBase64(encoded.lexical.indices)),
            values: new Float32Array(fromBase64(encoded.lexical.values)),
          },
        }
      : {}),
    ...(encoded.colbert !== undefined ? { colbert: floatColbert(encoded.colbert) } : {}),
  };
  return {
    id: encoded.id,
    ...(encoded.text !== undefined ? { text: encoded.text } : {}),
    ...(encoded.metadata !== undefined ? { metadata: encoded.metadata } : {}),
    embedding,
  };
}

function floatColbert(encoded: EncodedColbert): NonNullable<M3Embedding['colbert']> {
  const decoded = decodeColbert(encoded)!;
  return isInt8Colbert(decoded) ? dequantizeMultiVectorInt8(decoded) : decoded;
}

function toBase64(array: Float32Array | Uint32Array | Int8Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

/** Copies into a fresh, aligned ArrayBuffer (Buffer pools are not 4-byte aligned). */
function fromBase64(text: string): ArrayBuffer {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 4 !== 0)
    throw new InvalidInputError('encoded vector length is not a multiple of 4 bytes');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
