import { describe, expect, it } from 'vitest';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import { lexicalFromPairs, lexicalFromRecord, lexicalToRecord } from './lexical.js';
import { RECORD_LIMITS, validateRecord } from './validate-record.js';

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
    [
      'an infinite dense value',
      { embedding: { ...good.embedding, dense: Float32Array.of(Infinity, 0) } },
      /dense\[0\] is Infinity/,
    ],
    [
      'ColBERT data that does not fill rows x dim',
      { embedding: { ...good.embedding, colbert: { data: new Float32Array(3), rows: 2, dim: 2 } } },
      /rows x dim/,
    ],
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
      validateRecord(
        { ...good, embedding: { ...good.embedding, dense: new Float32Array(3) } },
        spec,
      );
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

describe('validateRecord: what every backend can hold, checked once', () => {
  const typed = resolveCollectionSpec({
    name: 'typed',
    denseDimension: 2,
    metadataFields: [
      { name: 'year', type: 'integer' },
      { name: 'rating', type: 'float' },
      { name: 'lang', type: 'keyword' },
      { name: 'tags', type: 'keyword[]' },
      { name: 'published', type: 'boolean' },
    ],
  });
  const withMetadata = (metadata: Record<string, unknown>) =>
    ({ ...good, metadata }) as typeof good;

  it('rejects a dense vector that is not unit length, naming the record', () => {
    for (const dense of [Float32Array.of(3, 4), Float32Array.of(0, 0), Float32Array.of(0.5, 0.5)]) {
      expect(() =>
        validateRecord({ ...good, embedding: { ...good.embedding, dense } }, spec),
      ).toThrow(/dense vector has L2 norm .*unit length.*\(item: a\)/);
    }
  });

  it('accepts a dense vector rounded through fp16 after normalising', () => {
    const dense = Float32Array.of(0.6 * (1 + 4.9e-4), 0.8 * (1 + 4.9e-4));
    expect(() =>
      validateRecord({ ...good, embedding: { ...good.embedding, dense } }, spec),
    ).not.toThrow();
  });

  const drift: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a string in an integer field',
      { year: '2012' },
      /"year" is declared integer, got the string "2012"/,
    ],
    ['a fraction in an integer field', { year: 2012.5 }, /"year" is declared integer/],
    ['a string in a float field', { rating: 'high' }, /"rating" is declared float/],
    ['a number in a keyword field', { lang: 7 }, /"lang" is declared keyword, got number 7/],
    ['a string in a boolean field', { published: 'yes' }, /"published" is declared boolean/],
    ['an array in a number field', { year: ['2012'] }, /"year" is declared integer, got a list/],
  ];
  for (const [label, metadata, message] of drift) {
    it(`rejects type drift: ${label}, naming record and field`, () => {
      expect(() => validateRecord(withMetadata(metadata), typed)).toThrow(message);
      expect(() => validateRecord(withMetadata(metadata), typed)).toThrow(/item: a/);
    });
  }

  it('accepts declared types, null, a single tag for keyword[], and undeclared fields of any type', () => {
    const metadata = {
      year: 2012,
      rating: 4,
      lang: 'en',
      tags: 'solo',
      published: false,
      source: null,
      other: 1.5,
    };
    expect(() => validateRecord(withMetadata(metadata), typed)).not.toThrow();
  });

  it('limits the number of metadata keys and their size as JSON', () => {
    const many = Object.fromEntries(
      Array.from({ length: RECORD_LIMITS.metadataFields + 1 }, (_, i) => [`f${i}`, i]),
    );
    expect(() => validateRecord(withMetadata(many), spec)).toThrow(/more than 256 fields/);
    expect(() =>
      validateRecord(withMetadata({ big: 'x'.repeat(RECORD_LIMITS.metadataBytes) }), spec),
    ).toThrow(/bytes as JSON, more than 65536/);
  });

  it('limits ids by UTF-8 bytes, not characters (Elasticsearch _id holds at most 512 bytes)', () => {
    expect(() => validateRecord({ ...good, id: '東'.repeat(170) }, spec)).not.toThrow(); // 510 bytes
    expect(() => validateRecord({ ...good, id: '東'.repeat(171) }, spec)).toThrow(
      /longer than 512 bytes/,
    ); // 513 bytes, 171 characters
  });
});

describe('lexical weights', () => {
  it('keeps the max weight per id and drops non-positive ones, as FlagEmbedding does', () => {
    const weights = lexicalFromPairs([
      [7, 0.2],
      [3, 0.1],
      [7, 0.5],
      [9, 0],
      [4, -1],
    ]);
    expect(Array.from(weights.indices)).toEqual([3, 7]);
    expect(lexicalToRecord(weights)).toEqual({ '3': Math.fround(0.1), '7': 0.5 });
  });

  it('rejects keys that are not token ids', () => {
    expect(() => lexicalFromRecord({ abc: 1 })).toThrow(/not a token id/);
  });
});
