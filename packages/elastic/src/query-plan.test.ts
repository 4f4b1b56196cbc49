import {
  multiVectorFromRows,
  resolveCollectionSpec,
  resolveQuery,
  type HybridQuery,
  type M3Embedding,
} from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  planExactQuery,
  planServerQuery,
  rescoreOversample,
  sourceFields,
  type PlanContext,
} from './query-plan.js';
import { FIELDS, type IndexLayout } from './schema.js';

// biome-ignore lint/suspicious/noExplicitAny: request bodies are walked deep and each value checked with expect().
type RequestBody = Record<string, any>;

const collection = resolveCollectionSpec({ name: 'plan', denseDimension: 2 });
const layout: IndexLayout = {
  spec: collection,
  dense: { type: 'int8_hnsw' },
  colbertEncoding: 'int16',
  colbertMean: true,
};
const context: PlanContext = {
  collection,
  layout,
  numCandidatesFactor: 2,
  rescoreOversample: undefined,
  filter: undefined,
};
const embedding: M3Embedding = {
  dense: new Float32Array([3, 4]),
  lexical: { indices: new Uint32Array([5, 9]), values: new Float32Array([0.5, 0.25]) },
  colbert: multiVectorFromRows([
    [1, 0],
    [0, 1],
  ]),
};
const resolve = (query: Partial<HybridQuery>) =>
  resolveQuery({ embedding, topK: 10, ...query }, collection.signals);

describe('planExactQuery', () => {
  it('ColBERT queries search for ids only (doc values, no stored field); the source comes with the blob', () => {
    const plan = planExactQuery(resolve({ candidates: 100 }), context);
    expect(plan.sourceWithColbert).toBe(true);
    for (const { body } of plan.searches) {
      expect(body).toMatchObject({
        _source: false,
        stored_fields: '_none_',
        docvalue_fields: [FIELDS.id],
      });
    }
    expect(plan.includes).toEqual(expect.arrayContaining([FIELDS.denseExact, FIELDS.lexicalExact]));
    const denseOnly = planExactQuery(resolve({ signals: ['dense'] }), context);
    expect(denseOnly.sourceWithColbert).toBe(false);
    expect(denseOnly.searches[0]!.body._source).toEqual({
      includes: expect.arrayContaining([FIELDS.denseExact]),
    });
  });
  it('all three signals: one _msearch of a kNN, the sparse disjunction with a margin, and the mean ColBERT row kNN', () => {
    const plan = planExactQuery(resolve({ candidates: 100 }), context);
    expect(plan.searches.map((search) => search.list)).toEqual(['dense', 'sparse', 'colbert']);
    const [dense, sparse, colbert] = plan.searches.map((search) => search.body as RequestBody);
    expect(dense!.knn).toMatchObject({ field: FIELDS.dense, k: 100, num_candidates: 200 });
    expect(dense!.knn.query_vector[0]).toBeCloseTo(0.6, 12);
    expect(dense!.knn.query_vector[1]).toBeCloseTo(0.8, 12);
    expect(plan.sparseFetch).toBe(110);
    expect(sparse!.size).toBe(110);
    expect(sparse!.query.bool.should).toEqual([
      { term: { [FIELDS.sparse]: { value: '5', boost: 0.5 } } },
      { term: { [FIELDS.sparse]: { value: '9', boost: 0.25 } } },
    ]);
    expect(colbert!.knn.field).toBe(FIELDS.colbertMean);
    expect(plan.fillDense).toBe(true);
    expect(plan.fullScan).toBe(false);
    expect(plan.includes).toEqual([
      FIELDS.text,
      FIELDS.metadata,
      FIELDS.denseExact,
      FIELDS.lexicalExact,
    ]);
  });

  it('a ColBERT-only query without the mean-row index scans every document', () => {
    const colbertOnly = resolveQuery(
      { embedding: { colbert: embedding.colbert! }, topK: 5 },
      collection.signals,
    );
    const plan = planExactQuery(colbertOnly, {
      ...context,
      layout: { ...layout, colbertMean: false },
    });
    expect(plan.searches).toEqual([]);
    expect(plan.fullScan).toBe(true);
    expect(planExactQuery(colbertOnly, context).fullScan).toBe(false);
  });

  it('puts the filter into every search and rescore_vector into the kNN when asked', () => {
    const filter = { term: { 'metadata.lang': { value: 'en' } } };
    const plan = planExactQuery(resolve({}), { ...context, filter, rescoreOversample: 3 });
    const [dense, sparse] = plan.searches.map((search) => search.body as RequestBody);
    expect(dense!.knn.filter).toEqual(filter);
    expect(dense!.knn.rescore_vector).toEqual({ oversample: 3 });
    expect(sparse!.query.bool.filter).toEqual([filter]);
  });
});

describe('planServerQuery', () => {
  it('weighted dense + sparse: the kNN boost is 2 w_d / W, the term boosts carry w_s / W', () => {
    const plan = planServerQuery(
      resolve({ signals: ['dense', 'sparse'], weights: { dense: 3, sparse: 1 } }),
      context,
    )!;
    expect(plan.denseShare).toBe(0.75);
    expect(plan.sparseShare).toBe(0.25);
    expect(plan.denseNorm).toBe(5);
    const body = plan.body as RequestBody;
    expect(body.knn.boost).toBe(1.5);
    expect(body.query.bool.should[0].term[FIELDS.sparse].boost).toBe(0.125);
  });

  it('leaves ColBERT and rank fusions to exact scoring', () => {
    expect(planServerQuery(resolve({}), context)).toBeUndefined();
    expect(
      planServerQuery(resolve({ signals: ['dense', 'sparse'], fusion: { kind: 'rrf' } }), context),
    ).toBeUndefined();
  });
});

describe('rescoreOversample and sourceFields', () => {
  it('oversamples only quantised indices on clusters that have rescore_vector', () => {
    expect(rescoreOversample(layout, 2, true)).toBe(2);
    expect(rescoreOversample(layout, 2, false)).toBeUndefined();
    expect(rescoreOversample(layout, 0, true)).toBeUndefined();
    expect(rescoreOversample({ ...layout, dense: { type: 'hnsw' } }, 2, true)).toBeUndefined();
  });

  it('leaves text out of collections that do not store it', () => {
    const noText = resolveCollectionSpec({ name: 'plan', denseDimension: 2, storeText: false });
    expect(sourceFields(noText, true, false, ['colbert'])).toEqual([FIELDS.colbert]);
  });
});
