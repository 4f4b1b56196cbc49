import type { Fusion, M3EncoderV1, M3Embedding, QueryHit, Signal } from '@m3kit/core';

/** The hybrid part of an m3kit query: what a retriever's options and a store's defaults hold. */
export interface M3HybridOptions {
  /** Signals to use; default every signal the collection holds. */
  readonly signals?: readonly Signal[];
  /** Per-signal weights for `weighted` fusion (default 0.4 / 0.2 / 0.4). */
  readonly weights?: Partial<Record<Signal, number>>;
  /** Default `{ kind: 'weighted' }` (FlagEmbedding's compute_score); or RRF, DBSF. */
  readonly fusion?: Fusion;
  /** Candidates each signal contributes before fusion (default max(100, 4k)). */
  readonly candidates?: number | Partial<Record<Signal, number>>;
}

/** What each returned Document carries in `metadata.m3kit`: the fused score and every signal's. */
export interface M3HitScores {
  /** The stored chunk's id (`documentId#n`). */
  readonly id: string;
  readonly score: number;
  readonly signalScores: Partial<Record<Signal, number>>;
}

/** Encodes a query text with exactly the outputs the signals need. */
export async function encodeQuery(
  encoder: M3EncoderV1,
  text: string,
  signals: readonly Signal[],
  signal?: AbortSignal,
): Promise<M3Embedding> {
  const [encoded] = await encoder.encode([text], {
    dense: signals.includes('dense'),
    sparse: signals.includes('sparse'),
    colbert: signals.includes('colbert'),
    ...(signal ? { signal } : {}),
  });
  const { tokenCount: _tokens, truncated: _truncated, ...embedding } = encoded!;
  return embedding;
}

export function hitScores(hit: QueryHit): M3HitScores {
  return { id: hit.id, score: hit.score, signalScores: { ...hit.signalScores } };
}
