import type { M3Record } from '../document.js';
import type { M3Embedding } from '../embedding/types.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';

/** A record as JSON: typed arrays as base64 of their little-endian bytes (4x smaller than number lists). */
export interface EncodedRecord {
  readonly id: string;
  readonly text?: string;
  readonly metadata?: M3Record['metadata'];
  readonly dense?: string;
  readonly lexical?: { readonly indices: string; readonly values: string };
  readonly colbert?: { readonly rows: number; readonly dim: number; readonly data: string };
}

export function encodeRecord(record: M3Record): EncodedRecord {
  const { dense, lexical, colbert } = record.embedding;
  return {
    id: record.id,
    ...(record.text !== undefined ? { text: record.text } : {}),
    ...(record.metadata !== undefined ? { metadata: record.metadata } : {}),
    ...(dense ? { dense: toBase64(dense) } : {}),
    ...(lexical
      ? { lexical: { indices: toBase64(lexical.indices), values: toBase64(lexical.values) } }
      : {}),
    ...(colbert
      ? { colbert: { rows: colbert.rows, dim: colbert.dim, data: toBase64(colbert.data) } }
      : {}),
  };
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
    ...(encoded.colbert !== undefined
      ? {
          colbert: {
            rows: encoded.colbert.rows,
            dim: encoded.colbert.dim,
            data: new Float32Array(fromBase64(encoded.colbert.data)),
          },
        }
      : {}),
  };
  return {
    id: encoded.id,
    ...(encoded.text !== undefined ? { text: encoded.text } : {}),
    ...(encoded.metadata !== undefined ? { metadata: encoded.metadata } : {}),
    embedding,
  };
}

function toBase64(array: Float32Array | Uint32Array): string {
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
