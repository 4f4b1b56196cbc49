import type { M3Embedding } from '../embedding/types.js';

export interface EncodeOptions {
  /** Which outputs to compute (each default true). */
  readonly dense?: boolean;
  readonly sparse?: boolean;
  readonly colbert?: boolean;
  /** Token limit including `<s>` and `</s>`; longer texts are truncated and reported. */
  readonly maxLength?: number;
  readonly signal?: AbortSignal;
}

/** One text's outputs, with what the tokenizer did to it. */
export interface EncodedText extends M3Embedding {
  /** Tokens fed to the model, special tokens included. */
  readonly tokenCount: number;
  /** True when the text was cut at `maxLength`. */
  readonly truncated: boolean;
}

export interface TokenizeOptions {
  /** Token limit including special tokens; default: the encoder's `maxLength` (longer texts are cut, `truncated` says so). */
  readonly maxLength?: number;
  /** Add `<s>` and `</s>` (default true). */
  readonly addSpecialTokens?: boolean;
}

export interface TokenizedText {
  readonly ids: readonly number[];
  /** Per token, [start, end) in UTF-16 code units of the input (special tokens: [0, 0]). */
  readonly offsets: readonly (readonly [number, number])[];
  readonly truncated: boolean;
}

/**
 * The encoder contract, version 1: what the ingest pipeline needs from a BGE-M3 encoder.
 * `@m3kit/encoder` implements it; so can a remote embedding service.
 */
export interface M3EncoderV1 {
  readonly specificationVersion: 'v1';
  /** e.g. "BAAI/bge-m3" or the local directory. */
  readonly modelId: string;
  readonly denseDimension: number;
  /** The model's own limit (8192 for BAAI/bge-m3). */
  readonly maxLength: number;
  encode(texts: readonly string[], options?: EncodeOptions): Promise<readonly EncodedText[]>;
  tokenize(texts: readonly string[], options?: TokenizeOptions): Promise<readonly TokenizedText[]>;
  close(): Promise<void>;
}
