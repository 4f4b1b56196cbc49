import { byScoreThenId } from '../adapter/rank-order.js';
import type { Signal } from '../embedding/types.js';
import {
  distributionBasedScoreFusion,
  reciprocalRankFusion,
  type FusedHit,
  type RankedList,
} from '../fusion/fusion.js';
import type { ResolvedQuery } from '../query/resolve-query.js';

/** Per-candidate exact scores for each of the query's signals. */
export type CandidateScores = ReadonlyMap<string, Readonly<Partial<Record<Signal, number>>>>;

/**
 * Ranks candidates whose exact per-signal scores are known, following the query's fusion. Used by
 * the exact store over all documents and by adapters that fuse on the client over candidates.
 * `lists` gives each signal's own candidate list for rank-based fusions (best first); when absent
 * it is derived from `scores`, cut at the signal's candidate depth.
 */
export function rankCandidates(
  resolved: ResolvedQuery,
  scores: CandidateScores,
  lists?: Partial<Record<Signal, RankedList>>,
): FusedHit[] {
  const { signals } = resolved;
  if (signals.length === 1 || resolved.fusion === 'weighted') {
    const weightSum = signals.reduce((sum, s) => sum + resolved.weights[s], 0);
    const single = signals.length === 1 ? signals[0] : undefined;
    const hits: FusedHit[] = [];
    for (const [id, perSignal] of scores) {
      if (single !== undefined && !isCandidate(single, perSignal[single])) continue;
      const score =
        single !== undefined
          ? perSignal[single]!
          : signals.reduce((sum, s) => sum + resolved.weights[s] * (perSignal[s] ?? 0), 0) /
            weightSum;
      hits.push({ id, score });
    }
    return hits.sort(byScoreThenId).slice(0, resolved.topK);
  }
  const ranked = signals.map(
    (signal) => lists?.[signal] ?? signalList(scores, signal, resolved.candidates[signal]),
  );
  const fused =
    resolved.fusion === 'rrf'
      ? reciprocalRankFusion(ranked, resolved.rrfK)
      : distributionBasedScoreFusion(ranked);
  return fused.slice(0, resolved.topK);
}

/** The best `depth` candidates by one signal's score. */
export function signalList(scores: CandidateScores, signal: Signal, depth: number): RankedList {
  const hits: FusedHit[] = [];
  for (const [id, perSignal] of scores) {
    const score = perSignal[signal];
    if (isCandidate(signal, score)) hits.push({ id, score: score! });
  }
  hits.sort(byScoreThenId);
  const top = hits.slice(0, depth);
  return { ids: top.map((h) => h.id), scores: top.map((h) => h.score) };
}

/**
 * Whether a document is a candidate of a signal's own search. A sparse search returns only
 * documents sharing a token with the query (Qdrant, Milvus and Elasticsearch alike): a document
 * whose lexical score is 0 has no rank in the sparse list. It still counts in weighted fusion,
 * where its sparse score 0 is a real score.
 */
export function isCandidate(signal: Signal, score: number | undefined): boolean {
  return score !== undefined && !(signal === 'sparse' && score <= 0);
}

export { byScoreThenId };
