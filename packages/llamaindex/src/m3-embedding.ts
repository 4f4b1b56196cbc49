import { BaseEmbedding } from '@llamaindex/core/embeddings';
import type { M3Embedding as M3Outputs, M3EncoderV1, Signal } from '@m3kit/core';

export interface M3EmbeddingParams {
  /** Any BGE-M3 encoder: `await M3Encoder.load('BAAI/bge-m3')` from @m3kit/encoder, or your own. */
  readonly encoder: M3EncoderV1;
  /** Token limit per text, special tokens included (default: the encoder's). */
  readonly maxLength?: number;
  /** Texts per encoder call (default 32). */
  readonly embedBatchSize?: number;
}

/** Full outputs kept for `M3VectorStore.add`, at most this many texts (oldest dropped first). */
const RETAINED_LIMIT = 4096;

/**
 * BGE-M3's dense vector as a LlamaIndex `BaseEmbedding`. Given to an `M3VectorStore`, it also
 * computes the lexical weights and ColBERT rows in the same forward pass when `VectorStoreIndex`
 * embeds nodes, and hands them to the store's `add`, so no node is encoded twice.
 */
export class M3Embedding extends BaseEmbedding {
  readonly encoder: M3EncoderV1;
  private readonly maxLength: number | undefined;
  private retainSignals: readonly Signal[] | undefined;
  private readonly retained = new Map<string, M3Outputs>();

  constructor(params: M3EmbeddingParams) {
    super();
    this.encoder = params.encoder;
    this.maxLength = params.maxLength;
    this.embedBatchSize = params.embedBatchSize ?? 32;
    this.embedInfo = {
      dimensions: params.encoder.denseDimension,
      maxTokens: params.maxLength ?? params.encoder.maxLength,
    };
    this.getTextEmbeddings = (texts: string[]) => this.embedTexts(texts);
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    const [vector] = await this.embedTexts([text]);
    return vector!;
  }

  /** Encodes every output the signals need (dense always); returns them whole. */
  async encodeOutputs(
    texts: readonly string[],
    signals: readonly Signal[],
    signal?: AbortSignal,
  ): Promise<M3Outputs[]> {
    if (texts.length === 0) return [];
    const encoded = await this.encoder.encode(texts, {
      dense: true,
      sparse: signals.includes('sparse'),
      colbert: signals.includes('colbert'),
      ...(this.maxLength === undefined ? {} : { maxLength: this.maxLength }),
      ...(signal ? { signal } : {}),
    });
    return encoded.map(({ tokenCount: _tokens, truncated: _truncated, ...outputs }) => outputs);
  }

  /** Called by M3VectorStore: from now on keep these signals of what is embedded, for `add`. */
  retainOutputs(signals: readonly Signal[]): void {
    this.retainSignals = signals;
  }

  /** The full outputs computed for a text while embedding nodes, if still kept (taken once). */
  takeOutputs(text: string): M3Outputs | undefined {
    const outputs = this.retained.get(text);
    if (outputs) this.retained.delete(text);
    return outputs;
  }

  private async embedTexts(texts: string[]): Promise<number[][]> {
    const outputs = await this.encodeOutputs(texts, this.retainSignals ?? ['dense']);
    if (this.retainSignals) {
      texts.forEach((text, i) => {
        this.retained.set(text, outputs[i]!);
      });
      for (const key of this.retained.keys()) {
        if (this.retained.size <= RETAINED_LIMIT) break;
        this.retained.delete(key);
      }
    }
    return outputs.map((o) => Array.from(o.dense!));
  }
}
