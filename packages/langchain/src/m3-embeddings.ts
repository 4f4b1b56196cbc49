import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import type { M3EncoderV1 } from '@m3kit/core';

export interface M3EmbeddingsParams extends EmbeddingsParams {
  /** Any BGE-M3 encoder: `await M3Encoder.load('BAAI/bge-m3')` from @m3kit/encoder, or your own. */
  readonly encoder: M3EncoderV1;
  /** Token limit per text, special tokens included (default: the encoder's). */
  readonly maxLength?: number;
}

/**
 * BGE-M3's dense vector as LangChain `Embeddings`, for code that only wants vectors. The same
 * encoder gives `M3VectorStore` the lexical weights and ColBERT rows it needs for hybrid queries.
 */
export class M3Embeddings extends Embeddings {
  readonly encoder: M3EncoderV1;
  private readonly maxLength: number | undefined;

  constructor(params: M3EmbeddingsParams) {
    super(params);
    this.encoder = params.encoder;
    this.maxLength = params.maxLength;
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    if (documents.length === 0) return [];
    // Called directly, not through LangChain's retrying caller: a local encoder's errors (bad
    // input, a missing model) do not get better by retrying.
    const encoded = await this.encoder.encode(documents, {
      dense: true,
      sparse: false,
      colbert: false,
      ...(this.maxLength === undefined ? {} : { maxLength: this.maxLength }),
    });
    return encoded.map((e) => Array.from(e.dense!));
  }

  async embedQuery(document: string): Promise<number[]> {
    const [vector] = await this.embedDocuments([document]);
    return vector!;
  }
}
