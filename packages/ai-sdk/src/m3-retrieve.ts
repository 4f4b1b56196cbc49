import {
  InvalidInputError,
  type Filter,
  type Fusion,
  type M3EncoderV1,
  type M3StoreV1,
  type Metadata,
  type Signal,
} from '@m3kit/core';

/** Where and how to search: an m3kit store, the encoder its collection was filled with, the hybrid query. */
export interface M3RetrieveSettings {
  readonly store: M3StoreV1;
  readonly encoder: M3EncoderV1;
  /** Hits to return (default 5). */
  readonly topK?: number;
  /** Signals to use; default every signal the collection holds. */
  readonly signals?: readonly Signal[];
  /** Per-signal weights for `weighted` fusion (default 0.4 / 0.2 / 0.4). */
  readonly weights?: Partial<Record<Signal, number>>;
  /** Default `{ kind: 'weighted' }` (FlagEmbedding's compute_score); or RRF, DBSF. */
  readonly fusion?: Fusion;
  readonly candidates?: number | Partial<Record<Signal, number>>;
  /** A metadata filter the application fixes (a model never sees or changes it). */
  readonly filter?: Filter;
}

/** One retrieved passage, JSON-safe so it can be a tool result or go into a prompt. */
export interface M3RetrievedHit {
  readonly id: string;
  readonly text: string;
  readonly score: number;
  readonly signalScores: Partial<Record<Signal, number>>;
  readonly metadata: Metadata;
}

export interface M3Retrieval {
  readonly hits: readonly M3RetrievedHit[];
  /** Where each part of the query ran, e.g. "exact: brute force over 30 records". */
  readonly execution: string;
  readonly warnings: readonly string[];
}

/**
 * m3kit's hybrid query as a retrieval step: encodes the question with the signals the query uses,
 * queries the store and returns passages with their fused and per-signal scores.
 */
export async function m3Retrieve(
  question: string,
  settings: M3RetrieveSettings,
  options: { readonly topK?: number; readonly signal?: AbortSignal } = {},
): Promise<M3Retrieval> {
  if (typeof question !== 'string' || question.trim() === '') {
    throw new InvalidInputError('the question must be a non-empty string', { item: 'question' });
  }
  const signals = settings.signals ?? settings.store.collection.signals;
  const [encoded] = await settings.encoder.encode([question], {
    dense: signals.includes('dense'),
    sparse: signals.includes('sparse'),
    colbert: signals.includes('colbert'),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { tokenCount: _tokens, truncated: _truncated, ...embedding } = encoded!;
  const result = await settings.store.query(
    {
      embedding,
      signals,
      topK: options.topK ?? settings.topK ?? 5,
      ...(settings.weights ? { weights: settings.weights } : {}),
      ...(settings.fusion ? { fusion: settings.fusion } : {}),
      ...(settings.candidates !== undefined ? { candidates: settings.candidates } : {}),
      ...(settings.filter ? { filter: settings.filter } : {}),
    },
    options.signal ? { signal: options.signal } : {},
  );
  return {
    hits: result.hits.map((hit) => ({
      id: hit.id,
      text: hit.text ?? '',
      score: hit.score,
      signalScores: { ...hit.signalScores },
      metadata: hit.metadata ?? {},
    })),
    execution: result.execution.description,
    warnings: result.warnings,
  };
}

/** Retrieved passages as a block of context for a prompt, each headed by its id. */
export function formatContext(retrieval: M3Retrieval): string {
  return retrieval.hits.map((hit) => `[${hit.id}]\n${hit.text}`).join('\n\n');
}
