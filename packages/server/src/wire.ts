import {
  lexicalFromRecord,
  lexicalToRecord,
  multiVectorFromRows,
  multiVectorToRows,
  InvalidInputError,
  type M3Embedding,
  type QueryHit,
} from '@m3kit/core';
import { badRequest } from './http-error.js';

/** An embedding as JSON, FlagEmbedding's field names. */
export interface WireEmbedding {
  readonly dense?: readonly number[];
  readonly lexical_weights?: Readonly<Record<string, number>>;
  readonly colbert_vecs?: readonly (readonly number[])[];
}

/** Reads a query embedding sent as JSON; a malformed part is a 400 naming it. */
export function embeddingFromWire(wire: WireEmbedding, field: string): M3Embedding {
  const embedding: {
    dense?: Float32Array;
    lexical?: M3Embedding['lexical'];
    colbert?: M3Embedding['colbert'];
  } = {};
  if (wire.dense) embedding.dense = Float32Array.from(wire.dense);
  try {
    if (wire.lexical_weights) embedding.lexical = lexicalFromRecord(wire.lexical_weights);
  } catch (error) {
    throw badRequest(
      `${field}.lexical_weights`,
      InvalidInputError.isInstance(error) ? error.message : String(error),
    );
  }
  if (wire.colbert_vecs) {
    if (wire.colbert_vecs.length === 0)
      throw badRequest(`${field}.colbert_vecs`, 'needs at least one row');
    try {
      embedding.colbert = multiVectorFromRows(wire.colbert_vecs);
    } catch (error) {
      throw badRequest(
        `${field}.colbert_vecs`,
        InvalidInputError.isInstance(error) ? error.message : String(error),
      );
    }
  }
  if (!embedding.dense && !embedding.lexical && !embedding.colbert) {
    throw badRequest(field, 'give at least one of dense, lexical_weights, colbert_vecs');
  }
  return embedding;
}

export function denseToWire(dense: Float32Array): number[] {
  return Array.from(dense);
}

export { lexicalToRecord as lexicalToWire, multiVectorToRows as colbertToWire };

/** A hit on the wire: snake_case, ranked from 1. */
export function hitToWire(hit: QueryHit, index: number): Record<string, unknown> {
  return {
    rank: index + 1,
    id: hit.id,
    score: hit.score,
    signal_scores: hit.signalScores,
    ...(hit.text !== undefined ? { text: hit.text } : {}),
    ...(hit.metadata !== undefined ? { metadata: hit.metadata } : {}),
  };
}

/** Little-endian float32 bytes as base64 (OpenAI's `encoding_format: "base64"`). */
export function denseToBase64(dense: Float32Array): string {
  const bytes = Buffer.alloc(dense.length * 4);
  for (let i = 0; i < dense.length; i++) bytes.writeFloatLE(dense[i]!, i * 4);
  return bytes.toString('base64');
}
