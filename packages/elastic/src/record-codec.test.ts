import { resolveCollectionSpec, type M3Record } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { decodeDocument, decodeLexical, encodeDocument, encodeLexical } from './record-codec.js';
import { hybridSearch, sparseClauses } from './query-plan.js';

const spec = resolveCollectionSpec({ name: 'docs', denseDimension: 4 });
const record: M3Record = {
  id: 'a',
  text: 'hello',
  metadata: { lang: 'en' },
  embedding: {
    dense: Float32Array.of(3, 0, 4, 0),
    lexical: { indices: Uint32Array.of(5, 250_001), values: Float32Array.of(0.25, 1e-40) },
    colbert: { data: Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0), rows: 2, dim: 4 },
  },
};

describe('document codec', () => {
  it('indexes the dense direction, keeps the exact vector, and clamps sparse weights Lucene would refuse', () => {
    const source = encodeDocument(record, spec, 'float32');
    expect(source.dense!.map((v) => Number(v.toFixed(12)))).toEqual([0.6, 0, 0.8, 0]);
    expect(source.sparse).toEqual({ '5': 0.25, '250001': 1.1754943508222875e-38 });
    const back = decodeDocument('a', source, true);
    expect(back.embedding!.dense).toEqual(record.embedding.dense);
    expect(back.embedding!.lexical).toEqual(record.embedding.lexical); // the exact copy keeps 1e-40
    expect(back.embedding!.colbert).toEqual(record.embedding.colbert);
    expect(back.text).toBe('hello');
    expect(decodeDocument('a', source, false).embedding).toBeUndefined();
  });

  it('indexes the direction of the mean ColBERT row when asked', () => {
    const source = encodeDocument(record, spec, 'int16', true);
    expect(source.colbert_mean!.map((v) => Number(v.toFixed(12)))).toEqual([
      // 1/√2 to 12 places: the mean of two orthogonal unit rows, renormalised.
      Number(Math.SQRT1_2.toFixed(12)),
      Number(Math.SQRT1_2.toFixed(12)),
      0,
      0,
    ]);
    expect(encodeDocument(record, spec, 'int16').colbert_mean).toBeUndefined();
  });

  it('keeps a zero dense vector out of the kNN index', () => {
    const source = encodeDocument(
      { ...record, embedding: { ...record.embedding, dense: new Float32Array(4) } },
      spec,
      'int16',
    );
    expect(source.dense).toBeUndefined();
    expect(source.dense_exact).toBeDefined();
  });

  it('round-trips empty lexical weights', () => {
    const empty = { indices: new Uint32Array(0), values: new Float32Array(0) };
    expect(decodeLexical(encodeLexical(empty))).toEqual(empty);
  });
});

describe('query requests', () => {
  const lexical = { indices: Uint32Array.of(7, 9), values: Float32Array.of(0.5, 0.25) };

  it('the sparse signal is one term clause per token, boosted by the query weight', () => {
    expect(sparseClauses(lexical, 0.5)).toEqual([
      { term: { sparse: { value: '7', boost: 0.25 } } },
      { term: { sparse: { value: '9', boost: 0.125 } } },
    ]);
  });

  it('the one-request hybrid names its parts and applies the filter to both', () => {
    const filter = { term: { 'metadata.lang': { value: 'en' } } };
    const body = hybridSearch({
      vector: [1, 0],
      lexical,
      denseBoost: 1.2,
      sparseScale: 0.4,
      denseDepth: 50,
      numCandidatesFactor: 2,
      size: 60,
      filter,
      source: false,
    });
    expect(body).toEqual({
      size: 60,
      _source: false,
      knn: {
        field: 'dense',
        query_vector: [1, 0],
        k: 50,
        num_candidates: 100,
        boost: 1.2,
        _name: 'dense',
        filter,
      },
      query: {
        bool: {
          _name: 'sparse',
          should: sparseClauses(lexical, 0.4),
          minimum_should_match: 1,
          filter: [filter],
        },
      },
    });
  });
});
