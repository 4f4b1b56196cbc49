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
  | { readonly rows: number; readonly dim: number; readonly int8: string; readonly scales: string }
  | ColbertRef;

/**
 * Format 4: int8 rows kept in the store's side file instead of the log line: `rows * dim` codes
 * then `rows` float32 scales (little-endian) from byte `at`, with their CRC-32, so a query reads
 * only the rows it scores and a damaged row region is found when read.
 */
export interface ColbertRef {
  readonly rows: number;
  readonly dim: number;
  readonly at: number;
  readonly crc: string;
}

/** Whether an encoded or held ColBERT value points into the side file. */
export function isColbertRef(value: unknown): value is ColbertRef {
  return typeof value === 'object' && value !== null && 'at' in value && 'crc' in value;
}

/** Bytes a ref's rows take in the side file. */
export function colbertRefBytes(ref: { readonly rows: number; readonly dim: number }): number {
  return ref.rows * ref.dim + 4 * ref.rows;
}

/** `compactColbert`: the record's ColBERT rows in int8 form, written instead of its float32 rows. */
export function encodeRecord(
  record: M3Record,
  compactColbert?: Int8MultiVector | ColbertRef,
): EncodedRecord {
  const { dense, lexical } = record.embedding;
  if (isColbertRef(compactColbert)) {
    const { rows, dim, at, crc } = compactColbert;
    return { ...encodeRecord(record), colbert: { rows, dim, at, crc } };
  }
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
export function decodeColbert(
  encoded: EncodedColbert,
): Int8MultiVector | ColbertRef | M3Embedding['colbert'] {
  const { rows, dim } = encoded;
  if (!Number.isInteger(rows) || !Number.isInteger(dim) || rows < 0 || dim < 0)
    throw new InvalidInputError('encoded ColBERT rows have no valid rows/dim');
  if (isColbertRef(encoded)) {
    if (!Number.isInteger(encoded.at) || encoded.at < 0 || !/^[0-9a-f]{8}$/.test(encoded.crc))
      throw new InvalidInputError('encoded ColBERT reference has no valid offset/checksum');
    return { rows, dim, at: encoded.at, crc: encoded.crc };
  }
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
  if (isColbertRef(decoded))
    throw new InvalidInputError('ColBERT rows in the side file must be read from it first');
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
