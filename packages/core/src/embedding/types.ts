/**
 * BGE-M3's learned lexical weights for one text: token ids sorted ascending, unique, each with a
 * positive weight (FlagEmbedding's `lexical_weights` dict, as parallel typed arrays).
 */
export interface LexicalWeights {
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** ColBERT multi-vector: `rows` L2-normalised vectors of `dim` floats, row-major in `data`. */
export interface MultiVector {
  readonly data: Float32Array;
  readonly rows: number;
  readonly dim: number;
}

/**
 * The three BGE-M3 outputs for one text. Each is optional: a caller may ask the encoder for only
 * some of them, and a store may hold only some.
 */
export interface M3Embedding {
  /** L2-normalised CLS vector (1024 floats for BAAI/bge-m3). */
  readonly dense?: Float32Array;
  /** Sparse lexical weights over the tokenizer vocabulary (250,002 ids for BAAI/bge-m3). */
  readonly lexical?: LexicalWeights;
  /** ColBERT token vectors (`<s>` dropped, `</s>` kept). */
  readonly colbert?: MultiVector;
}

/** The three retrieval signals of BGE-M3, named as m3kit names them everywhere. */
export type Signal = 'dense' | 'sparse' | 'colbert';

export const ALL_SIGNALS: readonly Signal[] = ['dense', 'sparse', 'colbert'];

/** Which M3Embedding field carries a signal. */
export function hasSignal(embedding: M3Embedding, signal: Signal): boolean {
  if (signal === 'dense') return embedding.dense !== undefined;
  if (signal === 'sparse') return embedding.lexical !== undefined;
  return embedding.colbert !== undefined;
}
