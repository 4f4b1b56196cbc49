import { expect } from 'vitest';
import type { QueryHit } from '../query/hybrid-query.js';

/**
 * Asserts that `actual` is the exact ranking up to near-ties: position by position, the exact
 * score of the returned id equals the exact score at that position (within tolerance), ids are
 * unique, and the reported score is the exact score of that id.
 */
export function expectExactRanking(
  actual: readonly QueryHit[],
  expected: readonly QueryHit[],
  exactScores: ReadonlyMap<string, number>,
  tolerance: number,
  label: string,
): void {
  expect(actual.length, `${label}: number of hits`).toBe(expected.length);
  expect(new Set(actual.map((h) => h.id)).size, `${label}: duplicate ids`).toBe(actual.length);
  actual.forEach((hit, i) => {
    const exact = exactScores.get(hit.id);
    expect(exact, `${label}: hit ${i} (${hit.id}) is not in the exact ranking`).toBeDefined();
    const want = expected[i]!.score;
    const allowed = tolerance * Math.max(1, Math.abs(want));
    expect(
      Math.abs(exact! - want),
      `${label}: hit ${i} is ${hit.id} (exact score ${exact}) where the exact store has ${expected[i]!.id} (${want})`,
    ).toBeLessThanOrEqual(allowed);
    expect(
      Math.abs(hit.score - exact!),
      `${label}: hit ${i} (${hit.id}) reports score ${hit.score}, exact ${exact}`,
    ).toBeLessThanOrEqual(allowed);
  });
}

/** |top-k of actual ∩ top-k of expected| / k, with k the smaller of 10 and the expected count. */
export function recallAt10(actual: readonly QueryHit[], expected: readonly QueryHit[]): number {
  const k = Math.min(10, expected.length);
  if (k === 0) return actual.length === 0 ? 1 : 0;
  const want = new Set(expected.slice(0, k).map((h) => h.id));
  return actual.slice(0, k).filter((h) => want.has(h.id)).length / k;
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  label: string,
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst, `${label}: max abs difference`).toBeLessThanOrEqual(tolerance);
}
