import type {
  EncodeOptions,
  EncodedText,
  M3EncoderV1,
  TokenizeOptions,
  TokenizedText,
} from '../encoder/encoder-v1.js';
import { lexicalFromPairs } from '../embedding/lexical.js';
import { throwIfAborted } from '../errors/aborted-error.js';

/**
 * A deterministic stand-in for BGE-M3 with the same output shapes: words are tokens, each
 * hashed to an id and a pseudo-random unit vector. No model, no semantics beyond shared words:
 * for testing pipelines and stores without loading weights. Not a model of BGE-M3's numbers.
 */
export class HashingEncoder implements M3EncoderV1 {
  readonly specificationVersion = 'v1' as const;
  readonly modelId = 'm3kit/hashing-encoder';
  readonly maxLength: number;
  readonly denseDimension: number;
  /** Texts passed to encode(), in order: lets tests see what was (re)encoded. */
  readonly encodedTexts: string[] = [];

  constructor(options: { dimension?: number; maxLength?: number } = {}) {
    this.denseDimension = options.dimension ?? 64;
    this.maxLength = options.maxLength ?? 8192;
  }

  async tokenize(
    texts: readonly string[],
    options: TokenizeOptions = {},
  ): Promise<readonly TokenizedText[]> {
    const special = (options.addSpecialTokens ?? true) ? 2 : 0;
    const limit = options.maxLength ?? Number.POSITIVE_INFINITY;
    return texts.map((text) => {
      const words = [...text.matchAll(/\S+/g)];
      const kept = Math.max(0, Math.min(words.length, limit - special));
      const ids = words.slice(0, kept).map((w) => wordId(w[0]));
      const offsets = words.slice(0, kept).map((w) => [w.index, w.index + w[0].length] as const);
      return special
        ? {
            ids: [0, ...ids, 2],
            offsets: [[0, 0] as const, ...offsets, [0, 0] as const],
            truncated: kept < words.length,
          }
        : { ids, offsets, truncated: kept < words.length };
    });
  }

  async encode(
    texts: readonly string[],
    options: EncodeOptions = {},
  ): Promise<readonly EncodedText[]> {
    throwIfAborted(options.signal, 'encode');
    const tokenized = await this.tokenize(texts, {
      maxLength: options.maxLength ?? this.maxLength,
    });
    return texts.map((text, i) => {
      this.encodedTexts.push(text);
      const ids = tokenized[i]!.ids.slice(1, -1);
      const rows = ids.map((id) => unitVector(id, this.denseDimension));
      return {
        tokenCount: ids.length + 2,
        truncated: tokenized[i]!.truncated,
        ...(options.dense === false
          ? {}
          : { dense: normalise(sumRows(rows, this.denseDimension)) }),
        ...(options.sparse === false
          ? {}
          : { lexical: lexicalFromPairs(ids.map((id) => [id, 0.1 + (id % 7) / 20] as const)) }),
        ...(options.colbert === false ? {} : { colbert: colbertOf(rows, this.denseDimension) }),
      };
    });
  }

  async close(): Promise<void> {}
}

function wordId(word: string): number {
  let hash = 2166136261;
  for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
  return 4 + ((hash >>> 0) % 250_000);
}

function unitVector(seed: number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  let state = seed;
  for (let i = 0; i < dimension; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    vector[i] = state / 4294967296 - 0.5;
  }
  return normalise(vector);
}

function sumRows(rows: readonly Float32Array[], dimension: number): Float32Array {
  const sum = new Float32Array(dimension);
  if (rows.length === 0) sum[0] = 1;
  for (const row of rows) for (let i = 0; i < dimension; i++) sum[i]! += row[i]!;
  return sum;
}

function colbertOf(
  rows: readonly Float32Array[],
  dimension: number,
): { data: Float32Array; rows: number; dim: number } {
  const all = rows.length > 0 ? rows : [unitVector(2, dimension)];
  const data = new Float32Array(all.length * dimension);
  all.forEach((row, r) => {
    data.set(row, r * dimension);
  });
  return { data, rows: all.length, dim: dimension };
}

function normalise(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  return vector.map((v) => v / norm);
}
