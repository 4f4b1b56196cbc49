import type { Metadata } from '../document.js';
import type { M3Embedding, Signal } from '../embedding/types.js';
import type { Filter } from '../filter/filter.js';

/**
 * How the per-signal results become one ranking.
 * - `weighted`: FlagEmbedding's `compute_score`: sum(w_i * s_i) / sum(w_i) over the query's
 *   signals, each s_i the exact score (dense inner product, lexical matching score, ColBERT score).
 * - `rrf`: reciprocal rank fusion, sum over signals of 1 / (k + rank), rank starting at 1.
 * - `dbsf`: distribution-based score fusion: each signal's candidate scores mapped from
 *   [mean - 3 sd, mean + 3 sd] onto [0, 1], then summed.
 * RRF and DBSF ignore `weights`: the backends that run them natively do not all take weights.
 */
export type Fusion =
  | { readonly kind: 'weighted' }
  | { readonly kind: 'rrf'; readonly k?: number }
  | { readonly kind: 'dbsf' };

export type FusionKind = Fusion['kind'];

export const DEFAULT_RRF_K = 60;

/** The BGE-M3 paper's example weights for dense, sparse and ColBERT. */
export const DEFAULT_SIGNAL_WEIGHTS: Readonly<Record<Signal, number>> = {
  dense: 0.4,
  sparse: 0.2,
  colbert: 0.4,
};

/** One query against a store. `embedding` is the query text's M3 embedding. */
export interface HybridQuery {
  readonly embedding: M3Embedding;
  /** Signals to use; default: every signal both the query embedding and the store have. */
  readonly signals?: readonly Signal[];
  /** Per-signal weights for `weighted` fusion; default 0.4 / 0.2 / 0.4. */
  readonly weights?: Partial<Record<Signal, number>>;
  /** Default `{ kind: 'weighted' }`. */
  readonly fusion?: Fusion;
  readonly topK: number;
  /** Candidates each signal contributes before fusion; default max(100, 4 * topK). */
  readonly candidates?: number | Partial<Record<Signal, number>>;
  readonly filter?: Filter;
  /** Return the stored text (default true). */
  readonly includeText?: boolean;
  /** Return the stored metadata (default true). */
  readonly includeMetadata?: boolean;
}

export interface QueryHit {
  readonly id: string;
  /** The fused score (for one signal: that signal's score). Higher is better. */
  readonly score: number;
  /** Per-signal exact scores where the path computed them. */
  readonly signalScores: Partial<Record<Signal, number>>;
  readonly text?: string;
  readonly metadata?: Metadata;
}

/** Where each part of a query ran: answers "did the server do this, or did m3kit?". */
export interface QueryExecution {
  /** `exact`: brute force over all documents; `native`: the backend fused; `client`: m3kit fused candidates. */
  readonly fusion: 'exact' | 'native' | 'client' | 'none';
  /** How ColBERT scores were obtained, if the query used ColBERT. */
  readonly colbert: 'exact' | 'native' | 'client' | 'none';
  /** One line a human can read, e.g. "qdrant: prefetch dense(100)+sparse(100), formula score". */
  readonly description: string;
}

export interface QueryResult {
  readonly hits: readonly QueryHit[];
  readonly execution: QueryExecution;
  /** Things the store could not honour exactly (never silent). */
  readonly warnings: readonly string[];
}
