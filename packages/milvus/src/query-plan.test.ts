import { resolveQuery, type HybridQuery, type M3Embedding } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { documentKey } from './collection-layout.js';
import {
  choosePath,
  deeper,
  denseList,
  denseSearch,
  nativeRrfRequest,
  rescoreSearch,
  sparseList,
  sparseSearch,
  weightedProven,
  type QueryTargets,
  type SignalList,
} from './query-plan.js';

const embedding: M3Embedding = {
  dense: Float32Array.from([0.5, 0.5]),
  lexical: { indices: Uint32Array.from([7, 9]), values: Float32Array.from([0.25, 0.5]) },
  colbert: { data: Float32Array.from([1, 0, 0, 1]), rows: 2, dim: 2 },
};
const signals = ['dense', 'sparse', 'colbert'] as const;
const targets: QueryTargets = {
  main: 'docs',
  dense: { nprobe: 8 },
  colbert: { collection: 'docs__colbert', params: {}, firstDepth: 1_024 },
  nativeRrf: true,
};
const resolve = (query: Partial<HybridQuery>) =>
  resolveQuery({ embedding, topK: 10, candidates: 40, ...query }, signals);

describe('choosePath', () => {
  it('runs one signal alone, and weighted on the client', () => {
    expect(choosePath(resolve({ signals: ['colbert'] }), true)).toBe('single');
    expect(choosePath(resolve({}), true)).toBe('weighted');
  });

  it('runs rrf natively only over dense + sparse, with a k Milvus takes and query tokens', () => {
    const rrf = { kind: 'rrf', k: 60 } as const;
    expect(choosePath(resolve({ signals: ['dense', 'sparse'], fusion: rrf }), true)).toBe(
      'native-rrf',
    );
    expect(choosePath(resolve({ signals: ['dense', 'sparse'], fusion: rrf }), false)).toBe(
      'client-fusion',
    );
    expect(choosePath(resolve({ fusion: rrf }), true)).toBe('client-fusion');
    expect(
      choosePath(resolve({ signals: ['dense', 'sparse'], fusion: { kind: 'rrf', k: 0.5 } }), true),
    ).toBe('client-fusion');
    expect(
      choosePath(
        resolve({ signals: ['dense', 'sparse'], fusion: { kind: 'rrf', k: 16_384 } }),
        true,
      ),
    ).toBe('client-fusion');
    const noTokens = {
      ...embedding,
      lexical: { indices: new Uint32Array(), values: new Float32Array() },
    };
    const resolved = resolveQuery(
      { embedding: noTokens, topK: 10, signals: ['dense', 'sparse'], fusion: rrf },
      signals,
    );
    expect(choosePath(resolved, true)).toBe('client-fusion');
    expect(
      choosePath(resolve({ signals: ['dense', 'sparse'], fusion: { kind: 'dbsf' } }), true),
    ).toBe('client-fusion');
  });
});

describe('requests', () => {
  it('builds one hybridSearch with RRFRanker(k), the filter and exhaustive sparse search', () => {
    const request = nativeRrfRequest(
      targets,
      resolve({ signals: ['dense', 'sparse'], fusion: { kind: 'rrf', k: 60 } }),
      'x == 1',
    );
    expect(request).toMatchObject({
      collection_name: 'docs',
      data: [
        { anns_field: 'dense', data: [0.5, 0.5], limit: 40, params: { nprobe: 8 } },
        {
          anns_field: 'sparse',
          data: { '7': 0.25, '9': 0.5 },
          limit: 40,
          params: { drop_ratio_search: 0 },
        },
      ],
      rerank: { strategy: 'rrf', params: { k: 60 } },
      limit: 10,
      filter: 'x == 1',
      output_fields: ['id'],
    });
  });

  it('caps search depth at Milvus limit and sends no sparse search without query tokens', () => {
    expect(denseSearch(targets, embedding.dense!, 50_000, '').limit).toBe(16_384);
    expect(sparseSearch(targets, embedding.lexical!, 3, 'f')).toMatchObject({
      field: 'sparse',
      limit: 3,
      filter: 'f',
      vectors: [{ '7': 0.25, '9': 0.5 }],
    });
    expect(
      sparseSearch(targets, { indices: new Uint32Array(), values: new Float32Array() }, 3, ''),
    ).toBeUndefined();
  });

  it('rescores candidates by their hex keys, never by ids in an expression', () => {
    const search = rescoreSearch(targets, 'dense', embedding, ['a"b', 'c']);
    expect(search?.filter).toBe(`key in ["${documentKey('a"b')}", "${documentKey('c')}"]`);
    expect(search?.limit).toBe(2);
  });
});

describe('lists and proofs', () => {
  const hits = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.5 },
  ];

  it('a short dense list is complete; a full one bounds the rest by its last score', () => {
    expect(denseList(hits, 3)).toMatchObject({ complete: true, bound: Number.NEGATIVE_INFINITY });
    expect(denseList(hits, 2)).toMatchObject({ complete: false, bound: 0.5 });
  });

  it('a sparse list keeps documents sharing a token; outside a short list the score is 0', () => {
    const list = sparseList([...hits, { id: 'z', score: 0 }], 3);
    expect(list.hits.map((h) => h.id)).toEqual(['a', 'b']);
    expect(list.bound).toBe(0);
    expect(sparseList(hits, 2).bound).toBe(0.5);
  });

  it('weighted top-k is proven once the k-th candidate reaches sum(w_i * bound_i) / sum(w_i)', () => {
    const resolved = resolve({
      signals: ['dense', 'sparse'],
      topK: 1,
      weights: { dense: 1, sparse: 1 },
    });
    const list = (bound: number): SignalList => ({
      hits: [],
      scores: new Map(),
      bound,
      complete: false,
      note: '',
    });
    const lists = new Map([
      ['dense', list(0.6)],
      ['sparse', list(0.2)],
    ] as const);
    expect(weightedProven(resolved, lists, [{ id: 'a', score: 0.4 }])).toBe(true);
    expect(weightedProven(resolved, lists, [{ id: 'a', score: 0.39 }])).toBe(false);
    expect(weightedProven(resolved, lists, [])).toBe(false);
  });

  it('goes 4x deeper until every list reaches Milvus limit', () => {
    expect(deeper({ dense: 40, sparse: 10_000, colbert: 1 }, ['dense', 'sparse'])).toEqual({
      dense: 160,
      sparse: 16_384,
      colbert: 1,
    });
    expect(
      deeper({ dense: 16_384, sparse: 16_384, colbert: 1 }, ['dense', 'sparse']),
    ).toBeUndefined();
  });
});
