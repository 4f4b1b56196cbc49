import { describe, expect, it } from 'vitest';
import {
  distributionBasedScoreFusion,
  normaliseByDistribution,
  reciprocalRankFusion,
  weightedScoreFusion,
} from './fusion.js';

describe('reciprocalRankFusion', () => {
  it('adds 1 / (k + rank) per list, ranks from 1', () => {
    const fused = reciprocalRankFusion(
      [
        { ids: ['a', 'b', 'c'], scores: [3, 2, 1] },
        { ids: ['c', 'a'], scores: [9, 8] },
      ],
      60,
    );
    const score = Object.fromEntries(fused.map((h) => [h.id, h.score]));
    expect(score['a']).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(score['b']).toBeCloseTo(1 / 62, 12);
    expect(score['c']).toBeCloseTo(1 / 63 + 1 / 61, 12);
    expect(fused.map((h) => h.id)).toEqual(['a', 'c', 'b']);
  });

  it('breaks exact ties by id, so every run ranks alike', () => {
    const fused = reciprocalRankFusion([
      { ids: ['y', 'x'], scores: [1, 0] },
      { ids: ['x', 'y'], scores: [1, 0] },
    ]);
    expect(fused.map((h) => h.id)).toEqual(['x', 'y']);
  });
});

describe('distributionBasedScoreFusion', () => {
  it('maps mean - 3 sd .. mean + 3 sd onto 0 .. 1 with the sample sd, as Qdrant does', () => {
    const scores = [1, 2, 3];
    const sd = 1; // sqrt(((1-2)^2 + 0 + (3-2)^2) / (3 - 1))
    const normalised = normaliseByDistribution(scores);
    expect(normalised[1]).toBeCloseTo(0.5, 12);
    expect(normalised[2]).toBeCloseTo((3 - (2 - 3 * sd)) / (6 * sd), 12);
  });

  it('maps a constant list, or a single score, to 0.5 instead of dividing by zero', () => {
    expect(normaliseByDistribution([4, 4])).toEqual([0.5, 0.5]);
    expect(normaliseByDistribution([7])).toEqual([0.5]);
  });

  it('does not clamp scores beyond 3 sd (Qdrant does not either)', () => {
    const scores = [...Array.from({ length: 20 }, () => 0), 100];
    expect(normaliseByDistribution(scores)[20]).toBeGreaterThan(1);
  });

  it('sums normalised scores across lists', () => {
    const fused = distributionBasedScoreFusion([
      { ids: ['a', 'b'], scores: [10, 0] },
      { ids: ['b', 'a'], scores: [0.2, 0.1] },
    ]);
    // Two-point lists normalise to 0.5 +- 1/(6 sqrt 2) whatever their scale, so the sums tie.
    expect(fused[0]!.score).toBeCloseTo(1, 12);
    expect(fused[1]!.score).toBeCloseTo(1, 12);
  });
});

describe('weightedScoreFusion', () => {
  it('divides by the sum of weights', () => {
    const fused = weightedScoreFusion(new Map([['a', [1, 0.5]]]), [0.4, 0.2]);
    expect(fused[0]!.score).toBeCloseTo((0.4 + 0.1) / 0.6, 12);
  });
});
