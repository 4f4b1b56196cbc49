import { InvalidInputError, resolveCollectionSpec, type M3Record } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  JSON_BYTES_PER_FLOAT,
  floatsToJson,
  multiVectorToJson,
  pointToStoredRecord,
  preparePoint,
  recordToPoint,
  vectorsToEmbedding,
} from './record-codec.js';
import { pointIdFor } from './point-id.js';
import { resolveQdrantOptions } from './options.js';

const spec = resolveCollectionSpec({ name: 'docs', denseDimension: 4 });
const options = resolveQdrantOptions({ collection: spec });

function record(rows = 2): M3Record {
  return {
    id: 'doc-1',
    text: 'hello',
    metadata: { lang: 'en', tags: ['a'] },
    embedding: {
      dense: Float32Array.from([0.1, -0.2, 0.3, 0.4]),
      lexical: { indices: Uint32Array.from([5, 9]), values: Float32Array.from([0.25, 0.125]) },
      colbert: { data: new Float32Array(rows * 4).fill(0.5), rows, dim: 4 },
    },
  };
}

describe('floatsToJson', () => {
  it('round-trips every float32 exactly, tiny, huge and subnormal ones included', () => {
    const values = Float32Array.from([
      0,
      -0,
      0.1,
      -1 / 3,
      1e-38,
      3.4e38,
      123456.789,
      -0.000123456789,
      1.1754942e-38,
      1e-45,
      1,
      -1,
    ]);
    const json = JSON.parse(JSON.stringify(floatsToJson(values))) as number[];
    // JSON has no -0: it arrives as 0, which scores the same.
    json.forEach((v, i) => {
      expect(Math.fround(v) === values[i], `${values[i]}`).toBe(true);
    });
    expect(JSON.stringify(floatsToJson(Float32Array.from([0.1, 0.03125, -0.0123456789])))).toBe(
      '[0.1,0.03125,-0.012345679]',
    );
    const spread = Float32Array.from(
      { length: 20_000 },
      (_, i) => Math.sin(i) * 10 ** ((i % 40) - 20),
    );
    const back = JSON.parse(JSON.stringify(floatsToJson(spread))) as number[];
    back.forEach((v, i) => {
      expect(Math.fround(v)).toBe(spread[i]);
    });
  });

  it('prints BGE-M3-like values in fewer bytes than counted for batching', () => {
    const values = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i * 7.1) / 16);
    const text = JSON.stringify(floatsToJson(values));
    expect(text.length / values.length).toBeLessThan(13);
    expect(text.length / values.length).toBeLessThanOrEqual(JSON_BYTES_PER_FLOAT);
    expect(JSON.stringify(Array.from(values)).length / values.length).toBeGreaterThan(19);
  });
});

describe('recordToPoint', () => {
  it('builds a point with a UUID v5 id, the payload and three named vectors', () => {
    const { point, bytes } = recordToPoint(record(), spec, options);
    expect(point.id).toBe(pointIdFor('doc-1'));
    expect(point.payload).toEqual({
      document_id: 'doc-1',
      text: 'hello',
      metadata: { lang: 'en', tags: ['a'] },
    });
    const vector = point.vector as Record<string, unknown>;
    expect((vector['dense'] as number[]).map(Math.fround)).toEqual(
      Array.from(record().embedding.dense!),
    );
    expect(JSON.stringify(vector['dense'])).toBe('[0.1,-0.2,0.30000001,0.40000001]');
    expect(vector['sparse']).toEqual({ indices: [5, 9], values: [0.25, 0.125] });
    expect(vector['colbert']).toEqual([
      [0.5, 0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5, 0.5],
    ]);
    expect(bytes).toBeGreaterThanOrEqual(JSON.stringify(point).length);
  });

  it('leaves the text out when the collection does not store it', () => {
    const noText = resolveCollectionSpec({ name: 'docs', denseDimension: 4, storeText: false });
    expect(recordToPoint(record(), noText, options).point.payload).not.toHaveProperty('text');
  });

  it('rejects or truncates a ColBERT matrix over the multivector limit', () => {
    const small = resolveQdrantOptions({ collection: spec, colbert: { maxFloats: 10 } });
    expect(() => recordToPoint(record(3), spec, small)).toThrow(InvalidInputError);
    expect(() => recordToPoint(record(3), spec, small)).toThrow(
      /12 floats.*at most 10.*2 rows of 4/,
    );
    const truncating = resolveQdrantOptions({
      collection: spec,
      colbert: { maxFloats: 10, overflow: 'truncate' },
    });
    const vector = recordToPoint(record(3), spec, truncating).point.vector as Record<
      string,
      unknown[]
    >;
    expect(vector['colbert']).toHaveLength(2);
  });

  it('accepts 1,023 rows of 1024 by default and rejects 1,024 (Qdrant needs rows x dim < 1,048,576)', () => {
    const big = resolveCollectionSpec({ name: 'big', denseDimension: 1024, signals: ['colbert'] });
    const make = (rows: number): M3Record => ({
      id: 'x',
      embedding: { colbert: { data: new Float32Array(rows * 1024), rows, dim: 1024 } },
    });
    expect(() => recordToPoint(make(1023), big, options)).not.toThrow();
    expect(() => recordToPoint(make(1024), big, options)).toThrow(/1048576 floats/);
  });
});

describe('pointToStoredRecord', () => {
  it('reads the document id, text, metadata and vectors back', () => {
    const { point } = recordToPoint(record(), spec, options);
    const stored = pointToStoredRecord(
      { id: String(point.id), payload: point.payload ?? null, vector: point.vector as never },
      options,
      true,
    );
    expect(stored?.id).toBe('doc-1');
    expect(stored?.text).toBe('hello');
    expect(stored?.metadata).toEqual({ lang: 'en', tags: ['a'] });
    expect(Array.from(stored!.embedding!.dense!)).toEqual(Array.from(record().embedding.dense!));
    expect(stored!.embedding!.colbert!.rows).toBe(2);
    expect(stored!.embedding!.colbert!.dim).toBe(4);
  });

  it('skips points without a document id and sorts sparse entries', () => {
    expect(pointToStoredRecord({ id: 1, payload: { other: 1 } }, options, false)).toBeUndefined();
    const embedding = vectorsToEmbedding(
      { sparse: { indices: [9, 5], values: [0.5, 0.25] } },
      options,
    );
    expect(Array.from(embedding.lexical!.indices)).toEqual([5, 9]);
    expect(Array.from(embedding.lexical!.values)).toEqual([0.25, 0.5]);
  });
});

describe('multiVectorToJson', () => {
  const matrix = (rows: number[][]) => ({
    data: Float32Array.from(rows.flat()),
    rows: rows.length,
    dim: rows[0]!.length,
  });

  it('sends a 2-row matrix second row first when its first row would parse as sparse indices', () => {
    expect(
      multiVectorToJson(
        matrix([
          [0, 1, 0],
          [0.5, 0.25, 0.5],
        ]),
      ),
    ).toEqual([
      [0.5, 0.25, 0.5],
      [0, 1, 0],
    ]);
    expect(
      multiVectorToJson(
        matrix([
          [0.5, 0.25, 0.5],
          [0, 1, 0],
        ]),
      ),
    ).toEqual([
      [0.5, 0.25, 0.5],
      [0, 1, 0],
    ]);
    expect(
      multiVectorToJson(
        matrix([
          [0, 1, 0],
          [0.5, 0, 1],
          [1, 0, 0],
        ]),
      ),
    ).toHaveLength(3);
    expect(
      multiVectorToJson(
        matrix([
          [-1, 0, 0],
          [0, 1, 0],
        ]),
      ),
    ).toEqual([
      [-1, 0, 0],
      [0, 1, 0],
    ]);
  });

  it('refuses two whole-number rows, already when the record is prepared', () => {
    expect(() =>
      multiVectorToJson(
        matrix([
          [0, 1, 0],
          [1, 0, 0],
        ]),
        2,
        'x',
      ),
    ).toThrow(/parses as a sparse vector.*item: x/);
    const spec3 = resolveCollectionSpec({ name: 'c', denseDimension: 3, signals: ['colbert'] });
    const oneHot: M3Record = {
      id: 'y',
      embedding: {
        colbert: matrix([
          [0, 1, 0],
          [1, 0, 0],
        ]),
      },
    };
    expect(() => preparePoint(oneHot, spec3, options)).toThrow(
      /parses as a sparse vector.*item: y/,
    );
  });
});

describe('declared metadata field types', () => {
  const typed = resolveCollectionSpec({
    name: 'docs',
    denseDimension: 4,
    metadataFields: [
      { name: 'year', type: 'integer' },
      { name: 'lang', type: 'keyword' },
      { name: 'score', type: 'float' },
      { name: 'draft', type: 'boolean' },
    ],
  });
  const typedOptions = resolveQdrantOptions({ collection: typed });
  const withMetadata = (metadata: M3Record['metadata']): M3Record => ({ ...record(), metadata });

  it('accepts values of the declared type, null and absent ones', () => {
    expect(() =>
      preparePoint(
        withMetadata({ year: 2020, lang: 'en', score: 0.5, draft: false }),
        typed,
        typedOptions,
      ),
    ).not.toThrow();
    expect(() =>
      preparePoint(withMetadata({ year: null, other: 'x' }), typed, typedOptions),
    ).not.toThrow();
  });

  it('fails the record, naming the field and the record, when a value drifts from its type', () => {
    expect(() => preparePoint(withMetadata({ year: '2020' }), typed, typedOptions)).toThrow(
      /"year" is declared integer.*item: doc-1/,
    );
    expect(() => preparePoint(withMetadata({ year: 2020.5 }), typed, typedOptions)).toThrow(
      InvalidInputError,
    );
    expect(() => preparePoint(withMetadata({ lang: 7 }), typed, typedOptions)).toThrow(
      /"lang" is declared keyword/,
    );
    expect(() => preparePoint(withMetadata({ lang: ['en', 'de'] }), typed, typedOptions)).toThrow(
      /"lang" is declared keyword/,
    );
    expect(() => preparePoint(withMetadata({ draft: 'no' }), typed, typedOptions)).toThrow(
      /"draft" is declared boolean/,
    );
  });
});
