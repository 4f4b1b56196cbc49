import { byScoreThenId } from '../adapter/rank-order.js';

/** One signal's ranked candidates: ids with their scores, best first. */
export interface RankedList {
  readonly ids: readonly string[];
  readonly scores: readonly number[];
}

export interface FusedHit {
  readonly id: string;
  readonly score: number;
}

/**
 * Reciprocal rank fusion: each list adds 1 / (k + rank) for the ids it holds, rank starting at
 * 1 (Qdrant, Milvus and Elasticsearch all count from 1). Ties break by id for determinism.
 */
export function reciprocalRankFusion(lists: readonly RankedList[], k = 60): FusedHit[] {
  const totals = new Map<string, number>();
  for (const list of lists) {
    list.ids.forEach((id, index) => {
      totals.set(id, (totals.get(id) ?? 0) + 1 / (k + index + 1));
    });
  }
  return sortHits(totals);
}

/**
 * Distribution-based score fusion: each list's scores are mapped from [mean - 3 sd, mean + 3 sd]
 * onto [0, 1] (not clamped), then summed per id. The sample standard deviation (n - 1), as Qdrant
 * computes it, so its native DBSF gives the same numbers; a list of one score, or of equal scores,
 * maps to 0.5 rather than dividing by zero.
 */
export function distributionBasedScoreFusion(lists: readonly RankedList[]): FusedHit[] {
  const totals = new Map<string, number>();
  for (const list of lists) {
    const normalised = normaliseByDistribution(list.scores);
    list.ids.forEach((id, index) => {
      totals.set(id, (totals.get(id) ?? 0) + (normalised[index] ?? 0));
    });
  }
  return sortHits(totals);
}

export function normaliseByDistribution(scores: readonly number[]): number[] {
  if (scores.length === 0) return [];
  if (scores.length === 1) return [0.5];
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const variance = scores.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (scores.length - 1);
  const sd = Math.sqrt(variance);
  if (sd === 0) return scores.map(() => 0.5);
  const low = mean - 3 * sd;
  const high = mean + 3 * sd;
  return scores.map((s) => (s - low) / (high - low));
}

/** Weighted sum of per-signal scores over the ids every caller supplies: `compute_score` over candidates. */
export function weightedScoreFusion(
  candidates: ReadonlyMap<string, readonly number[]>,
  weights: readonly number[],
): FusedHit[] {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const totals = new Map<string, number>();
  for (const [id, scores] of candidates) {
    let sum = 0;
    weights.forEach((w, i) => {
      sum += w * (scores[i] ?? 0);
    });
    totals.set(id, sum / weightSum);
  }
  return sortHits(totals);
}

function sortHits(totals: ReadonlyMap<string, number>): FusedHit[] {
  return [...totals].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
}
