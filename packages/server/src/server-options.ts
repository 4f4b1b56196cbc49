import {
  InvalidInputError,
  MAX_TOP_K,
  type ChunkingOptions,
  type Filter,
  type M3EncoderV1,
  type M3StoreV1,
} from '@m3kit/core';
import type { EncodeBatcherOptions } from './encode-batcher.js';

/** Request limits: each one is in the OpenAPI document and answered with a 4xx naming the field. */
export interface ServerLimits {
  /** Largest request body in bytes (default 16 MiB: a 512-row ColBERT query embedding is ~6 MB of JSON). */
  readonly bodyBytes: number;
  /** Texts in one /embed or /v1/embeddings call (default 256). */
  readonly textsPerCall: number;
  /** Characters in one text (default 100,000). */
  readonly textChars: number;
  /** Documents in one POST /documents (default 256). */
  readonly documentsPerCall: number;
  /** Largest top_k and candidates (default core's MAX_TOP_K). */
  readonly topK: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  bodyBytes: 16 * 2 ** 20,
  textsPerCall: 256,
  textChars: 100_000,
  documentsPerCall: 256,
  topK: MAX_TOP_K,
};

export interface M3ServerOptions {
  readonly encoder: M3EncoderV1;
  /**
   * The collections served; the first is the default of every route. The server never closes
   * them (nor the encoder): whoever opened them closes them after `close()`.
   */
  readonly stores: readonly M3StoreV1[];
  readonly limits?: Partial<ServerLimits>;
  readonly batching?: EncodeBatcherOptions;
  /** Bearer token every route but /healthz, /readyz and the playground's files requires. */
  readonly apiKey?: string;
  /** Origins allowed to call from a browser; CORS is off when absent. */
  readonly corsOrigins?: readonly string[];
  /** Chunking of POST /documents (default core's: 512 tokens, 64 overlap). */
  readonly chunking?: ChunkingOptions;
  /** Parses a text filter (`lang=en and year>=2020`) for `filter_expr`; without it only data filters are taken. */
  readonly parseFilter?: (expression: string) => Filter;
  /** SHA-256 hex for ingest's fingerprints (default core's own; node:crypto's is faster, same output). */
  readonly hash?: (text: string) => string;
  /** Fastify's request log (default off: an embedding service logs per request only on demand). */
  readonly logRequests?: boolean;
  /** Where the playground's files are (default the package's own `playground/`). */
  readonly playgroundDir?: string;
}

export interface ResolvedServerOptions extends M3ServerOptions {
  readonly limits: ServerLimits;
}

export function resolveServerOptions(options: M3ServerOptions): ResolvedServerOptions {
  if (options.stores.length === 0)
    throw new InvalidInputError('the server needs at least one store', { item: 'stores' });
  const names = options.stores.map((store) => store.collection.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined)
    throw new InvalidInputError(`two stores serve the collection "${duplicate}"`, {
      item: 'stores',
    });
  if (options.apiKey !== undefined && options.apiKey.length < 8) {
    throw new InvalidInputError('the API key must be at least 8 characters', { item: 'apiKey' });
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new InvalidInputError(`limits.${name} must be a positive integer, got ${value}`, {
        item: `limits.${name}`,
      });
  }
  return { ...options, limits };
}
