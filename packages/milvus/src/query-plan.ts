import type { LexicalWeights, M3Embedding, ResolvedQuery, Signal } from '@m3kit/core';
import { ConsistencyLevelEnum, type HybridSearchReq } from '@zilliz/milvus2-sdk-node';
import type { ColbertSearchTarget } from './colbert-search.js';
import { FIELDS, documentKey } from './collection-layout.js';
import { sparseToDict } from './record-codec.js';
import { MILVUS_MAX_LIMIT, serverTakesRrfK } from './server-features.js';
import type { ScoredId } from '@m3kit/core/adapter';
import { restrictTo, type VectorSearch } from './transport.js';

/**
 * What a query sends to Milvus, as data: which path a query takes, the requests of each path, and
 * what a signal's list proves about documents outside it. Nothing here talks to the server
 * (query-run.ts does), so every decision is unit-tested.
 */

/** Where a query's searches go. */
export interface QueryTargets {
  readonly main: string;
  readonly dense: Readonly<Record<string, unknown>>;
  readonly colbert: ColbertSearchTarget;
  readonly nativeRrf: boolean;
}

/**
 * - `single`: one signal, its own exact ranking.
 * - `weighted`: compute_score over exact per-signal scores of the candidates, on the client.
 * - `native-rrf`: dense + sparse as one hybridSearch with RRFRanker(k).
 * - `client-fusion`: each signal's exact top list, fused by core (rrf with ColBERT, dbsf).
 */
export type QueryPath = 'single' | 'weighted' | 'native-rrf' | 'client-fusion';

export function choosePath(resolved: ResolvedQuery, nativeRrf: boolean): QueryPath {
  const { signals, fusion } = resolved;
  if (signals.length === 1) return 'single';
  if (fusion === 'weighted') return 'weighted';
  if (
    fusion === 'rrf' &&
    nativeRrf &&
    !signals.includes('colbert') &&
    serverTakesRrfK(resolved.rrfK) &&
    (resolved.query.embedding.lexical?.indices.length ?? 0) > 0
  ) {
    return 'native-rrf';
  }
  return 'client-fusion';
}

/** Sparse searches never drop query weights: the inner product is over all of them. */
const SPARSE_SEARCH_PARAMS = { drop_ratio_search: 0 } as const;

/** rrf over dense + sparse in one request; Milvus ranks from 1, as core does. */
export function nativeRrfRequest(
  targets: QueryTargets,
  resolved: ResolvedQuery,
  filter: string,
): HybridSearchReq {
  const { candidates, topK, rrfK } = resolved;
  const embedding = resolved.query.embedding;
  return {
    collection_name: targets.main,
    data: [
      {
        anns_field: FIELDS.dense,
        data: Array.from(embedding.dense!),
        limit: candidates.dense,
        params: { ...targets.dense },
      },
      {
        anns_field: FIELDS.sparse,
        data: sparseToDict(embedding.lexical!),
        limit: candidates.sparse,
        params: { ...SPARSE_SEARCH_PARAMS },
      },
    ] as never,
    rerank: { strategy: 'rrf', params: { k: rrfK } },
    limit: topK,
    filter,
    output_fields: [FIELDS.id],
    consistency_level: ConsistencyLevelEnum.Strong,
  };
}

/** A dense search for the top `depth` (capped at Milvus' limit). */
export function denseSearch(
  targets: QueryTargets,
  dense: Float32Array,
  depth: number,
  filter: string,
): VectorSearch {
  return {
    collection: targets.main,
    field: FIELDS.dense,
    vectors: [Array.from(dense)],
    limit: Math.min(depth, MILVUS_MAX_LIMIT),
    filter,
    params: targets.dense,
    idField: FIELDS.id,
  };
}

/** A sparse search for the top `depth`, or undefined for a query without tokens (it matches nothing). */
export function sparseSearch(
  targets: QueryTargets,
  lexical: LexicalWeights,
  depth: number,
  filter: string,
): VectorSearch | undefined {
  if (lexical.indices.length === 0) return undefined;
  return {
    collection: targets.main,
    field: FIELDS.sparse,
    vectors: [sparseToDict(lexical)],
    limit: Math.min(depth, MILVUS_MAX_LIMIT),
    filter,
    params: SPARSE_SEARCH_PARAMS,
    idField: FIELDS.id,
  };
}

/** A dense or sparse search restricted to the given documents: their exact scores. */
export function rescoreSearch(
  targets: QueryTargets,
  signal: 'dense' | 'sparse',
  embedding: M3Embedding,
  ids: readonly string[],
): VectorSearch | undefined {
  const restricted = restrictTo(FIELDS.key, ids.map(documentKey));
  const search =
    signal === 'dense'
      ? denseSearch(targets, embedding.dense!, ids.length, restricted)
      : sparseSearch(targets, embedding.lexical!, ids.length, restricted);
  return search;
}

/** Per-signal candidate list with what it proves about documents outside it. */
export interface SignalList {
  /** The signal's top documents: the candidates it contributes. */
  readonly hits: readonly ScoredId[];
  /** Exact scores known from building the list (for ColBERT, more documents than `hits`). */
  readonly scores: ReadonlyMap<string, number>;
  /** No document outside `hits` scores higher than this. */
  readonly bound: number;
  /** Every document matching the filter is in `hits`. */
  readonly complete: boolean;
  readonly note: string;
}

/** A dense search's answer as a list: short of `limit` means every matching document was seen. */
export function denseList(hits: readonly ScoredId[], limit: number): SignalList {
  const complete = hits.length < limit;
  return {
    hits,
    scores: new Map(hits.map((h) => [h.id, h.score])),
    bound: complete ? Number.NEGATIVE_INFINITY : hits[hits.length - 1]!.score,
    complete,
    note: `dense search(${limit})`,
  };
}

/**
 * A sparse search's answer as a list: only documents sharing a token with the query (score > 0),
 * which is also what core's exact store ranks in a sparse list. Documents outside a short list
 * share no token with the query: they score 0.
 */
export function sparseList(found: readonly ScoredId[], limit: number): SignalList {
  const positive = found.filter((hit) => hit.score > 0);
  const full = positive.length >= limit;
  return {
    hits: positive,
    scores: new Map(positive.map((h) => [h.id, h.score])),
    bound: full ? positive[positive.length - 1]!.score : 0,
    complete: false,
    note: `sparse search(${limit})`,
  };
}

/**
 * compute_score's proof: a document in none of the lists scores at most sum(w_i * bound_i) / sum(w_i)
 * (positive weights only); the top-k is exact once the k-th best candidate reaches that bound, or
 * a list holds every matching document.
 */
export function weightedProven(
  resolved: ResolvedQuery,
  lists: ReadonlyMap<Signal, SignalList>,
  ranked: readonly ScoredId[],
): boolean {
  const { signals, weights, topK } = resolved;
  if ([...lists.values()].some((list) => list.complete)) return true;
  const weightSum = signals.reduce((sum, s) => sum + weights[s], 0);
  const bound =
    signals.reduce((sum, s) => (weights[s] > 0 ? sum + weights[s] * lists.get(s)!.bound : sum), 0) /
    weightSum;
  const kth = ranked[topK - 1]?.score ?? Number.NEGATIVE_INFINITY;
  return ranked.length >= topK && kth >= bound;
}

/** The next round's depth of every signal's list (x4, capped at Milvus' limit), or undefined when all are capped. */
export function deeper(
  depth: Readonly<Record<Signal, number>>,
  signals: readonly Signal[],
): Record<Signal, number> | undefined {
  if (signals.every((s) => depth[s] >= MILVUS_MAX_LIMIT)) return undefined;
  const next = { ...depth };
  for (const signal of signals) next[signal] = Math.min(depth[signal] * 4, MILVUS_MAX_LIMIT);
  return next;
}
