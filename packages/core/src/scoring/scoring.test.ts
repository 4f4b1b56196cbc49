import { describe, expect, it } from 'vitest';
import { lexicalFromRecord } from '../embedding/lexical.js';
import { multiVectorFromRows } from '../embedding/multivector.js';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { colbertScore, maxSimSum } from './colbert.js';
import { denseScore } from './dense.js';
import { lexicalMatchingScore } from './lexical.js';
import { m3Score } from './m3-score.js';

describe('denseScore', () => {
  it('is the inner product, including the unrolled tail', () => {
    const a = Float32Array.of(1, 2, 3, 4, 5);
    const b = Float32Array.of(5, 4, 3, 2, 1);
    expect(denseScore(a, b)).toBe(35);
  });

  it('names the dimensions when they differ', () => {
    expect(() => denseScore(new Float32Array(3), new Float32Array(4))).toThrow(
      DimensionMismatchError,
    );
  });
});

describe('lexicalMatchingScore', () => {
  it('sums w_q * w_p over shared token ids only (FlagEmbedding compute_lexical_matching_score)', () => {
    const query = lexicalFromRecord({ '10': 0.5, '7': 0.25, '99': 0.1 });
    const passage = lexicalFromRecord({ '7': 0.4, '10': 0.2, '12': 0.9 });
    expect(lexicalMatchingScore(query, passage)).toBeCloseTo(0.5 * 0.2 + 0.25 * 0.4, 7);
  });

  it('is 0 without shared ids or with an empty side', () => {
    expect(lexicalMatchingScore(lexicalFromRecord({ '1': 1 }), lexicalFromRecord({ '2': 1 }))).toBe(
      0,
    );
    expect(lexicalMatchingScore(lexicalFromRecord({}), lexicalFromRecord({ '2': 1 }))).toBe(0);
  });
});

describe('colbertScore', () => {
  const query = multiVectorFromRows([
    [1, 0],
    [0, 1],
  ]);
  const passage = multiVectorFromRows([
    [0.6, 0.8],
    [1, 0],
    [0, -1],
  ]);

  it('averages, over query vectors, the best inner product with any passage vector', () => {
    // Row 1: max(0.6, 1, 0) = 1; row 2: max(0.8, 0, -1) = 0.8; (1 + 0.8) / 2.
    expect(colbertScore(query, passage)).toBeCloseTo(0.9, 7);
    expect(maxSimSum(query, passage)).toBeCloseTo(1.8, 7);
  });

  it('is not symmetric, as in FlagEmbedding', () => {
    expect(colbertScore(passage, query)).not.toBeCloseTo(colbertScore(query, passage), 3);
  });
});

describe('m3Score (compute_score)', () => {
  const query = {
    dense: Float32Array.of(0.6, 0.8),
    lexical: lexicalFromRecord({ '5': 0.3 }),
    colbert: multiVectorFromRows([[1, 0]]),
  };
  const passage = {
    dense: Float32Array.of(0.8, 0.6),
    lexical: lexicalFromRecord({ '5': 0.5 }),
    colbert: multiVectorFromRows([[0.5, 0.5]]),
  };

  it('divides the weighted sum by the sum of weights (defaults 0.4 / 0.2 / 0.4)', () => {
    const scores = m3Score(query, passage);
    expect(scores.dense).toBeCloseTo(0.96, 6);
    expect(scores.sparse).toBeCloseTo(0.15, 6);
    expect(scores.colbert).toBeCloseTo(0.5, 6);
    expect(scores.combined).toBeCloseTo((0.4 * 0.96 + 0.2 * 0.15 + 0.4 * 0.5) / 1.0, 6);
  });

  it('renormalises over the signals used ("sparse+dense")', () => {
    const scores = m3Score(query, passage, {
      signals: ['dense', 'sparse'],
      weights: { dense: 1, sparse: 0.3 },
    });
    expect(scores.combined).toBeCloseTo((1 * 0.96 + 0.3 * 0.15) / 1.3, 6);
    expect(scores.colbert).toBeUndefined();
  });
});
