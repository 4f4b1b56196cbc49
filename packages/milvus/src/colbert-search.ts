import type { MultiVector } from '@m3kit/core';
import { byScoreThenId, chunk, type ScoredId } from '@m3kit/core/adapter';
import { COLBERT_FIELDS, documentKey } from './collection-layout.js';
import { multiVectorRows } from './record-codec.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import { IDS_PER_EXPRESSION, restrictTo, searchVectors, type RequestContext } from './transport.js';

/**
 * ColBERT on any Milvus, exactly: token vectors live one per row in a companion collection, and
 * FlagEmbedding's colbert_score (sum over query rows of the best dot product with any of the
 * document's rows, divided by the query rows) is computed from grouped searches.
 *
 * - A search with all query rows at once (nq = query rows), grouped by document id with one hit
 *   per group, returns for each query row the documents with the highest per-row maximum, and that
 *   maximum. That is the MaxSim building block, computed by the server over every token row (FLAT).
 * - Documents seen for only some query rows get their missing maxima from a second grouped search
 *   restricted to them (`doc_key in [...]`), so every candidate's score is exact.
 * - A document never seen has, for every query row q, a maximum no higher than the last score θ_q
 *   of row q's list, so its score is at most mean(θ_q) (Fagin's threshold algorithm). When the
 *   depth-th best exact score reaches that bound, the top `depth` is the exact top; otherwise the
 *   search goes deeper (x4) up to Milvus' limit of 16,384 groups.
 */
export interface ColbertTop {
  /** The best `depth` documents by exact ColBERT score, best first. */
  readonly hits: readonly ScoredId[];
  /** Exact scores of every document scored on the way (a superset of `hits`). */
  readonly scores: ReadonlyMap<string, number>;
  /** Upper bound of the score of any document not in `scores` (-Infinity when every document was seen). */
  readonly unseenBound: number;
  /** True when the top `depth` is proven exact. */
  readonly proven: boolean;
  /** Grouped-search depth the proof needed. */
  readonly searchDepth: number;
}

export interface ColbertSearchTarget {
  readonly collection: string;
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * Depth of the first grouped search (at least the depth asked for). A FLAT search computes
   * every token's dot product whatever the limit, so a deep first search costs little more than
   * a shallow one and usually proves the top-k at once (or sees every document of a small
   * collection); the price is the size of the answer, nq x depth hits.
   */
  readonly firstDepth: number;
}

export async function colbertTop(
  context: RequestContext,
  target: ColbertSearchTarget,
  query: MultiVector,
  depth: number,
  filter: string,
): Promise<ColbertTop> {
  const rows = multiVectorRows(query);
  let limit = Math.min(Math.max(depth, target.firstDepth, 1), MILVUS_MAX_LIMIT);
  for (;;) {
    const perRow = await groupedSearch(context, target, rows, limit, filter);
    const maxima = new Map<string, Float64Array>();
    recordMaxima(perRow, rows.length, maxima);
    const exhausted = perRow.some((hits) => hits.length < limit);
    const incomplete = [...maxima].filter(([, row]) => row.some(Number.isNaN)).map(([id]) => id);
    if (incomplete.length > 0) await fillMaxima(context, target, rows, incomplete, maxima);
    const scores = completeScores(maxima, rows.length);
    const ranked = [...scores].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
    const unseenBound = exhausted
      ? Number.NEGATIVE_INFINITY
      : perRow.reduce((sum, hits) => sum + (hits[hits.length - 1]?.score ?? 0), 0) / rows.length;
    const kth = ranked[depth - 1]?.score ?? Number.NEGATIVE_INFINITY;
    const proven = exhausted || (ranked.length >= depth && kth >= unseenBound);
    if (proven || limit >= MILVUS_MAX_LIMIT) {
      return { hits: ranked.slice(0, depth), scores, unseenBound, proven, searchDepth: limit };
    }
    limit = Math.min(limit * 4, MILVUS_MAX_LIMIT);
  }
}

/** Exact ColBERT scores of the given documents (documents without token rows are left out). */
export async function colbertScores(
  context: RequestContext,
  target: ColbertSearchTarget,
  query: MultiVector,
  ids: readonly string[],
): Promise<Map<string, number>> {
  const rows = multiVectorRows(query);
  const maxima = new Map<string, Float64Array>();
  await fillMaxima(context, target, rows, ids, maxima);
  return completeScores(maxima, rows.length);
}

/**
 * colbert_score of every document whose maxima are all known. A document deleted between two
 * searches may stay incomplete: it is left out.
 */
function completeScores(
  maxima: ReadonlyMap<string, Float64Array>,
  queryRows: number,
): Map<string, number> {
  const scores = new Map<string, number>();
  for (const [id, row] of maxima) {
    if (!row.some(Number.isNaN)) scores.set(id, row.reduce((a, b) => a + b, 0) / queryRows);
  }
  return scores;
}

async function fillMaxima(
  context: RequestContext,
  target: ColbertSearchTarget,
  rows: readonly number[][],
  ids: readonly string[],
  maxima: Map<string, Float64Array>,
): Promise<void> {
  for (const piece of chunk(ids, IDS_PER_EXPRESSION)) {
    const perRow = await groupedSearch(
      context,
      target,
      rows,
      piece.length,
      restrictTo(COLBERT_FIELDS.documentKey, piece.map(documentKey)),
    );
    recordMaxima(perRow, rows.length, maxima);
  }
}

/** Notes each document's per-query-row maximum; a row not yet seen stays NaN. */
function recordMaxima(
  perRow: readonly ScoredId[][],
  queryRows: number,
  maxima: Map<string, Float64Array>,
): void {
  perRow.forEach((hits, q) => {
    for (const hit of hits) {
      let row = maxima.get(hit.id);
      if (row === undefined) {
        row = new Float64Array(queryRows).fill(Number.NaN);
        maxima.set(hit.id, row);
      }
      row[q] = hit.score;
    }
  });
}

function groupedSearch(
  context: RequestContext,
  target: ColbertSearchTarget,
  rows: readonly number[][],
  limit: number,
  filter: string,
): Promise<ScoredId[][]> {
  return searchVectors(context, {
    collection: target.collection,
    field: COLBERT_FIELDS.vector,
    vectors: rows,
    limit,
    filter,
    params: target.params,
    groupBy: COLBERT_FIELDS.documentId,
    idField: COLBERT_FIELDS.documentId,
  });
}
