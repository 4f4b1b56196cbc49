import type {
  EmbeddingModelV3,
  EmbeddingModelV3CallOptions,
  EmbeddingModelV3Result,
  SharedV3Warning,
} from '@ai-sdk/provider';
import { InvalidInputError, type M3EncoderV1 } from '@m3kit/core';

export interface M3EmbeddingModelSettings {
  /** Any BGE-M3 encoder: `await M3Encoder.load('BAAI/bge-m3')` from @m3kit/encoder, or your own. */
  readonly encoder: M3EncoderV1;
  /** Token limit per text, special tokens included (default: the encoder's). */
  readonly maxLength?: number;
  /** Texts per `doEmbed` call; `embedMany` splits larger inputs (default 256, FlagEmbedding's batch). */
  readonly maxEmbeddingsPerCall?: number;
}

/** Per-call options, under `providerOptions.m3kit`. */
export interface M3EmbeddingProviderOptions {
  readonly maxLength?: number;
}

/**
 * BGE-M3's dense vector as an AI SDK embedding model (specification v3, which `ai` 6 and 7
 * accept): `embed({ model, value })`, `embedMany({ model, values })`. The encoder runs locally,
 * so usage counts the tokens it fed the model. The sparse and ColBERT outputs live on the store
 * side: see `m3Retrieve` and `m3SearchTool`.
 */
export class M3EmbeddingModel implements EmbeddingModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'm3kit';
  readonly modelId: string;
  readonly maxEmbeddingsPerCall: number;
  /** One local inference session: calls queue anyway, so the SDK need not run them in parallel. */
  readonly supportsParallelCalls = false;
  readonly encoder: M3EncoderV1;
  private readonly maxLength: number | undefined;

  constructor(settings: M3EmbeddingModelSettings) {
    if (settings?.encoder?.specificationVersion !== 'v1') {
      throw new InvalidInputError(
        'M3EmbeddingModel needs `encoder`, an m3kit encoder (M3EncoderV1)',
        { item: 'encoder' },
      );
    }
    const perCall = settings.maxEmbeddingsPerCall ?? 256;
    if (!Number.isInteger(perCall) || perCall < 1) {
      throw new InvalidInputError('maxEmbeddingsPerCall must be a positive integer', {
        item: 'maxEmbeddingsPerCall',
      });
    }
    this.encoder = settings.encoder;
    this.modelId = settings.encoder.modelId;
    this.maxEmbeddingsPerCall = perCall;
    this.maxLength = settings.maxLength;
  }

  async doEmbed(options: EmbeddingModelV3CallOptions): Promise<EmbeddingModelV3Result> {
    const { values } = options;
    if (values.length > this.maxEmbeddingsPerCall) {
      throw new InvalidInputError(
        `got ${values.length} values; this model takes at most ${this.maxEmbeddingsPerCall} per call`,
        { item: 'values' },
      );
    }
    const warnings: SharedV3Warning[] = [];
    // `headers` are for HTTP providers (the SDK always sends a user agent): nothing to warn about.
    const maxLength = readMaxLength(options.providerOptions) ?? this.maxLength;
    const encoded = await this.encoder.encode(values, {
      dense: true,
      sparse: false,
      colbert: false,
      ...(maxLength === undefined ? {} : { maxLength }),
      ...(options.abortSignal ? { signal: options.abortSignal } : {}),
    });
    const truncated = encoded.filter((e) => e.truncated).length;
    if (truncated > 0)
      warnings.push({
        type: 'other',
        message: `${truncated} of ${values.length} values were cut at the token limit`,
      });
    return {
      embeddings: encoded.map((e) => Array.from(e.dense!)),
      usage: { tokens: encoded.reduce((sum, e) => sum + e.tokenCount, 0) },
      warnings,
    };
  }
}

function readMaxLength(
  providerOptions: EmbeddingModelV3CallOptions['providerOptions'],
): number | undefined {
  const value = providerOptions?.['m3kit']?.['maxLength'];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 3) {
    throw new InvalidInputError('providerOptions.m3kit.maxLength must be an integer >= 3', {
      item: 'providerOptions.m3kit.maxLength',
    });
  }
  return value;
}

/** `m3kit.embeddingModel(...)` reads like the AI SDK's providers. */
export function m3EmbeddingModel(settings: M3EmbeddingModelSettings): M3EmbeddingModel {
  return new M3EmbeddingModel(settings);
}
