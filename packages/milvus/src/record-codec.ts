import type { LexicalWeights, MultiVector } from '@m3kit/core';
import { TEXT_CHUNK_BYTES } from './schema.js';

/** Milvus' sparse vector as the Node SDK takes and returns it: `{ "<token id>": weight }`. */
export type SparseDict = Record<string, number>;

export function sparseToDict(lexical: LexicalWeights): SparseDict {
  const dict: SparseDict = {};
  for (let i = 0; i < lexical.indices.length; i++) dict[String(lexical.indices[i])] = lexical.values[i]!;
  return dict;
}

/** Back to core's form: ids ascending (the SDK returns object keys, whose order is not promised). */
export function sparseFromDict(dict: Readonly<Record<string, number>> | undefined | null): LexicalWeights {
  const entries = Object.entries(dict ?? {})
    .map(([key, value]) => [Number(key), value] as const)
    .sort((a, b) => a[0] - b[0]);
  return {
    indices: Uint32Array.from(entries.map(([id]) => id)),
    values: Float32Array.from(entries.map(([, value]) => value)),
  };
}

/** A MultiVector's rows as number arrays (the SDK's float vector form). */
export function multiVectorRows(vectors: MultiVector): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < vectors.rows; r++) rows.push(Array.from(vectors.data.subarray(r * vectors.dim, (r + 1) * vectors.dim)));
  return rows;
}

const encoder = new TextEncoder();

/**
 * Splits text into chunks of at most `maxBytes` UTF-8 bytes, never inside a character: Milvus
 * limits a VarChar to 65,535 bytes and core allows texts of up to 1,000,000.
 */
export function textToChunks(text: string, maxBytes = TEXT_CHUNK_BYTES): string[] {
  if (encoder.encode(text).length <= maxBytes) return [text];
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of text) {
    const size = utf8Length(char.codePointAt(0)!);
    if (bytes + size > maxBytes) {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  chunks.push(current);
  return chunks;
}

/** `[]` means no text was stored; `[""]` is the empty text. */
export function textFromChunks(chunks: readonly string[] | undefined | null): string | undefined {
  if (!chunks || chunks.length === 0) return undefined;
  return chunks.join('');
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}
