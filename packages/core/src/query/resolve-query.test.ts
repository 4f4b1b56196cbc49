import { describe, expect, it } from 'vitest';
import type { M3Embedding } from '../embedding/types.js';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import type { HybridQuery } from './hybrid-query.js';
import { defaultCandidateDepth, MAX_TOP_K, resolveQuery } from './resolve-query.js';

const spec = resolveCollectionSpec({ name: 'q', denseDimension: 2 });
const embedding: M3Embedding = {
  dense: Float32Array.of(0.6, 0.8),
  lexical: { indices: Uint32Array.of(3, 9), values: Float32Array.of(0.5, 0.25) },
  colbert: { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 },
};
const base: HybridQuery = { embedding, topK: 5 };

function rejects(
  query: Partial<HybridQuery> | Record<string, unknown>,
  field: RegExp,
): InvalidInputError {
  try {
    resolveQuery({ ...base, ...query } as HybridQuery, spec);
  } catch (error) {
    expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(field);
    return error as InvalidInputError;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('resolveQuery', () => {
  it('fills defaults for a well-formed query', () => {
    const resolved = resolveQuery(base, spec);
    expect(resolved.signals).toEqual(['dense', 'sparse', 'colbert']);
    expect(resolved.fusion).toBe('weighted');
    expect(resolved.candidates).toEqual({ dense: 100, sparse: 100, colbert: 100 });
    expect(resolved.includeText).toBe(true);
  });

  describe('the embedding', () => {
    const nan = Float32Array.of(0.6, Number.NaN);
    it('rejects NaN or infinity in any signal, naming the position', () => {
      rejects({ embedding: { ...embedding, dense: nan } }, /query\.embedding\.dense\[1\] is NaN/);
      rejects(
        {
          embedding: {
            ...embedding,
            lexical: { indices: Uint32Array.of(3), values: Float32Array.of(Infinity) },
          },
        },
        /query\.embedding\.lexical\.values\[0\]/,
      );
      rejects(
        {
          embedding: {
            ...embedding,
            colbert: { data: Float32Array.of(1, 0, Number.NaN, 1), rows: 2, dim: 2 },
          },
        },
        /query\.embedding\.colbert\.data\[2\] is NaN/,
      );
    });

    it('rejects NaN even when the caller passes only the store signals (older form)', () => {
      expect(() => resolveQuery({ ...base, embedding: { dense: nan } }, ['dense'])).toThrow(
        /query\.embedding\.dense\[1\]/,
      );
    });

    it('rejects wrong dimensions as a DimensionMismatchError', () => {
      expect(
        DimensionMismatchError.isInstance(
          rejects({ embedding: { dense: Float32Array.of(1, 0, 0) } }, /dense/),
        ),
      ).toBe(true);
      rejects(
        { embedding: { colbert: { data: Float32Array.of(1, 0, 0), rows: 1, dim: 3 } } },
        /colbert rows/,
      );
    });

    it('rejects a dense vector or a ColBERT row that is not unit length', () => {
      rejects({ embedding: { dense: Float32Array.of(3, 4) } }, /dense has L2 norm 5\.000/);
      rejects({ embedding: { dense: Float32Array.of(0, 0) } }, /L2 norm 0\.000/);
      rejects(
        { embedding: { colbert: { data: Float32Array.of(1, 0, 0.5, 0.5), rows: 2, dim: 2 } } },
        /colbert row 1 has L2 norm 0\.7071/,
      );
    });

    it('accepts fp16-rounded unit vectors', () => {
      const dense = Float32Array.of(0.6 * (1 + 4.9e-4), 0.8 * (1 - 4.9e-4));
      expect(() => resolveQuery({ ...base, embedding: { dense } }, spec)).not.toThrow();
    });

    it('rejects malformed ColBERT shapes and lexical order', () => {
      rejects(
        { embedding: { colbert: { data: new Float32Array(3), rows: 2, dim: 2 } } },
        /rows x dim/,
      );
      rejects(
        {
          embedding: { lexical: { indices: Uint32Array.of(9, 3), values: Float32Array.of(1, 1) } },
        },
        /sorted and unique/,
      );
      rejects(
        { embedding: null } as unknown as Partial<HybridQuery>,
        /query\.embedding must be an object/,
      );
    });
  });

  it('rejects an unknown fusion kind and a bad rrf k', () => {
    rejects(
      { fusion: { kind: 'magic' } } as unknown as Partial<HybridQuery>,
      /query\.fusion\.kind must be one of weighted, rrf, dbsf, got "magic"/,
    );
    rejects(
      { fusion: 'rrf' } as unknown as Partial<HybridQuery>,
      /query\.fusion must be an object/,
    );
    for (const k of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      rejects({ fusion: { kind: 'rrf', k } }, /query\.fusion\.k must be a positive finite number/);
    expect(resolveQuery({ ...base, fusion: { kind: 'rrf', k: 0.5 } }, spec).rrfK).toBe(0.5);
  });

  it('rejects weights that are NaN, negative, infinite, of an unknown signal, or all zero', () => {
    rejects(
      { weights: { dense: Number.NaN } },
      /query\.weights\.dense must be a finite number >= 0, got NaN/,
    );
    rejects({ weights: { sparse: -1 } }, /query\.weights\.sparse/);
    rejects({ weights: { colbert: Number.POSITIVE_INFINITY } }, /query\.weights\.colbert/);
    rejects(
      { weights: { bm25: 1 } } as unknown as Partial<HybridQuery>,
      /query\.weights\.bm25: unknown signal/,
    );
    rejects(
      { weights: { dense: 0, sparse: 0, colbert: 0 } },
      /weighted fusion needs a positive weight/,
    );
    // Checked even for a signal the query does not use: a NaN is never a caller's intent.
    rejects({ signals: ['dense'], weights: { colbert: Number.NaN } }, /query\.weights\.colbert/);
  });

  it('rejects topK outside 1..MAX_TOP_K or not an integer', () => {
    for (const topK of [0, -1, 1.5, 1e9, Number.NaN])
      rejects({ topK }, /query\.topK must be an integer from 1 to 10000/);
    rejects({ topK: '5' } as unknown as Partial<HybridQuery>, /query\.topK/);
  });

  it('defaults candidates within the limit for the largest topK', () => {
    expect(resolveQuery({ ...base, topK: MAX_TOP_K }, spec).candidates.dense).toBe(MAX_TOP_K);
  });

  it('caps the default depth max(100, 4 x topK) at MAX_TOP_K past topK 2500', () => {
    // 4 x 2501 = 10,004 would exceed what every store takes; the default must stop at 10,000.
    expect([1, 25, 26, 2500, 2501, 5000, MAX_TOP_K].map(defaultCandidateDepth)).toEqual([
      100, 100, 104, 10_000, 10_000, 10_000, 10_000,
    ]);
    for (const topK of [2501, 3000, 9999]) {
      const { candidates } = resolveQuery({ ...base, topK }, spec);
      expect(candidates).toEqual({ dense: MAX_TOP_K, sparse: MAX_TOP_K, colbert: MAX_TOP_K });
    }
  });

  it('rejects bad candidates, as a number or per signal', () => {
    for (const candidates of [0, 2.5, 1e9, Number.NaN])
      rejects({ candidates }, /query\.candidates must be an integer/);
    rejects({ candidates: { dense: 0 } }, /query\.candidates\.dense must be an integer/);
    rejects({ candidates: { sparse: Number.NaN } }, /query\.candidates\.sparse/);
    rejects(
      { candidates: { bm25: 10 } } as unknown as Partial<HybridQuery>,
      /query\.candidates\.bm25: unknown signal/,
    );
    rejects(
      { candidates: [10] } as unknown as Partial<HybridQuery>,
      /query\.candidates must be a number or an object/,
    );
    expect(resolveQuery({ ...base, candidates: { colbert: 7 } }, spec).candidates).toEqual({
      dense: 100,
      sparse: 100,
      colbert: 7,
    });
  });

  it('rejects bad signals, naming the entry', () => {
    rejects({ signals: [] }, /query\.signals must be a non-empty array/);
    rejects(
      { signals: ['dense', 'bm25'] } as unknown as Partial<HybridQuery>,
      /query\.signals\[1\] is unknown signal "bm25"/,
    );
    rejects(
      { embedding: { dense: embedding.dense! }, signals: ['colbert'] },
      /query\.signals\[0\] asks for colbert but the query embedding has no colbert/,
    );
    expect(resolveQuery({ ...base, signals: ['sparse', 'sparse'] }, spec).signals).toEqual([
      'sparse',
    ]);
  });

  it('rejects a bad filter under query.filter, and non-boolean include flags', () => {
    rejects(
      { filter: { op: 'and', filters: [] } },
      /query\.filter: "and" needs a non-empty filters array/,
    );
    rejects({ filter: { op: 'eq', field: 'a', value: Number.NaN } }, /query\.filter\.value/);
    rejects(
      { includeText: 'no' } as unknown as Partial<HybridQuery>,
      /query\.includeText must be true or false/,
    );
  });
});
