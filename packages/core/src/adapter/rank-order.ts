/** Anything ranked: a hit, a candidate, a fused result. */
export interface ScoredId {
  readonly id: string;
  readonly score: number;
}

/**
 * The one ranking order of m3kit: higher score first, ties by id in code-unit order. Backends
 * return tied scores in any order; sorting every list this way makes results comparable with the
 * exact store and stable from run to run.
 */
export function byScoreThenId(a: ScoredId, b: ScoredId): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A sorted copy (score then id), optionally cut to the first `limit`. */
export function rankByScoreThenId<T extends ScoredId>(items: Iterable<T>, limit?: number): T[] {
  const sorted = [...items].sort(byScoreThenId);
  return limit === undefined ? sorted : sorted.slice(0, Math.max(0, limit));
}
