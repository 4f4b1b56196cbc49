import { describe, expect, it } from 'vitest';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import { lexicalFromPairs, lexicalFromRecord, lexicalToRecord } from './lexical.js';
import { validateRecord } from './validate-record.js';

const spec = resolveCollectionSpec({ name: 'v', denseDimension: 2 });
const good = {
  id: 'a',
  text: 'hello',
  metadata: { lang: 'en', tags: ['x'] },
  embedding: {
    dense: Float32Array.of(0.6, 0.8),
    lexical: lexicalFromRecord({ '3': 0.5 }),
    colbert: { data: Float32Array.of(1, 0, 0, 1), rows: 2, dim: 2 },
  },
};

describe('validateRecord', () => {
  it('accepts a well-formed record', () => expect(() => validateRecord(good, spec)).not.toThrow());

  const bad: Array<[string, object, RegExp]> = [
    ['a missing signal', { embedding: { dense: good.embedding.dense } }, /lacks the sparse output/],
    ['an infinite dense value', { embedding: { ...good.embedding, dense: Float32Array.of(Infinity, 0) } }, /dense\[0\] is Infinity/],
    ['ColBERT data that does not fill rows x dim', { embedding: { ...good.embedding, colbert: { data: new Float32Array(3), rows: 2, dim: 2 } } }, /rows x dim/],
    ['a metadata object value', { metadata: { nested: { a: 1 } } }, /metadata field "nested"/],
    ['a metadata field name with a dot', { metadata: { 'a.b': 1 } }, /metadata field name/],
    ['a non-string text', { text: 42 }, /text must be a string/],
  ];
  for (const [label, change, message] of bad) {
    it(`rejects ${label}, naming the item`, () => {
      expect(() => validateRecord({ ...good, ...change } as typeof good, spec)).toThrow(message);
      expect(() => validateRecord({ ...good, ...change } as typeof good, spec)).toThrow(/item: a/);
    });
  }

  it('reports wrong dense dimensions as a DimensionMismatchError with both numbers', () => {
    try {
      validateRecord({ ...good, embedding: { ...good.embedding, dense: new Float32Array(3) } }, spec);
      expect.unreachable();
    } catch (error) {
      expect(DimensionMismatchError.isInstance(error)).toBe(true);
      expect((error as DimensionMismatchError).expected).toBe(2);
      expect((error as DimensionMismatchError).actual).toBe(3);
    }
  });

  it('rejects an over-long id without echoing all of it', () => {
    expect(() => validateRecord({ ...good, id: 'x'.repeat(600) }, spec)).toThrow(InvalidInputError);
  });
});

describe('lexical weights', () => {
  it('keeps the max weight per id and drops non-positive ones, as FlagEmbedding does', () => {
    const weights = lexicalFromPairs([[7, 0.2], [3, 0.1], [7, 0.5], [9, 0], [4, -1]]);
    expect(Array.from(weights.indices)).toEqual([3, 7]);
    expect(lexicalToRecord(weights)).toEqual({ '3': Math.fround(0.1), '7': 0.5 });
  });

  it('rejects keys that are not token ids', () => {
    expect(() => lexicalFromRecord({ abc: 1 })).toThrow(/not a token id/);
  });
});
