import { resolveQuery, type HybridQuery, type M3Embedding } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import {
  planQuery,
  QUANTIZED_RESCORE_PARAMS,
  RESCORE_PARAMS,
  weightedFormula,
  type Prefetch,
} from './query-plan.js';
import { resolveQdrantOptions, type QdrantStoreOptions } from './options.js';
import { featuresForVersion } from './server-features.js';

const embedding: M3Embedding = {
  dense: Float32Array.from([0.5, 0.5]),
  lexical: { indices: Uint32Array.from([7]), values: Float32Array.from([0.25]) },
  colbert: { data: Float32Array.from([1, 0, 0, 1, 0.5, 0.5]), rows: 3, dim: 2 },
};
const signals = ['dense', 'sparse', 'colbert'] as const;
const filter = { must: [{ key: 'metadata.lang', match: { value: 'en' } }] };

function plan(
  query: Partial<HybridQuery>,
  version = '1.19.0',
  options: Partial<QdrantStoreOptions> = {},
) {
  const resolved = resolveQuery({ embedding, topK: 10, candidates: 40, ...query }, signals);
  return planQuery({
    resolved,
    options: resolveQdrantOptions({ collection: { name: 'c', denseDimension: 2 }, ...options }),
    features: featuresForVersion(version),
    filter: query.filter ? filter : undefined,
  });
}

const dense: Prefetch = { query: [0.5, 0.5], using: 'dense', limit: 40, filter };
const sparse: Prefetch = {
  query: { indices: [7], values: [0.25] },
  using: 'sparse',
  limit: 40,
  filter,
};
const colbertRows = [
  [1, 0],
  [0, 1],
  [0.5, 0.5],
];
const colbertRerank: Prefetch = {
  prefetch: [dense, sparse],
  query: colbertRows,
  using: 'colbert',
  limit: 40,
  params: RESCORE_PARAMS,
};
const lang = { op: 'eq', field: 'lang', value: 'en' } as const;

describe('planQuery: one signal', () => {
  it('searches that signal alone, filter and payload on the request', () => {
    const result = plan({ signals: ['dense'], filter: lang });
    expect(result).toMatchObject({ kind: 'server', single: 'dense', fusion: 'none' });
    expect(result.kind === 'server' && result.request).toEqual({
      query: [0.5, 0.5],
      using: 'dense',
      limit: 10,
      filter,
      with_payload: ['document_id', 'text', 'metadata'],
    });
  });

  it('scans ColBERT exactly (HNSW is off for the multivector)', () => {
    const result = plan({ signals: ['colbert'], includeText: false, includeMetadata: false });
    expect(result.kind === 'server' && result.request).toEqual({
      query: colbertRows,
      using: 'colbert',
      limit: 10,
      params: { exact: true },
      with_payload: ['document_id'],
    });
    expect(result.description).toBe('qdrant 1.19.0: colbert MaxSim scan(10)');
  });
});

describe('planQuery: RRF', () => {
  it('runs natively with Qdrant k = core k + 1 (Qdrant counts positions from 0)', () => {
    const result = plan({ fusion: { kind: 'rrf', k: 60 }, filter: lang });
    expect(result.kind).toBe('server');
    expect(result.kind === 'server' && result.request).toEqual({
      prefetch: [dense, sparse, colbertRerank],
      query: { rrf: { k: 61 } },
      limit: 10,
      with_payload: ['document_id', 'text', 'metadata'],
    });
    expect(result.description).toContain('equals core k=60');
  });

  it('uses the fixed k=2 of older servers only for core k=1, else fuses on the client', () => {
    const old = plan({ fusion: { kind: 'rrf', k: 1 } }, '1.12.0');
    expect(old.kind === 'server' && old.request.query).toEqual({ fusion: 'rrf' });
    const clientSide = plan({ fusion: { kind: 'rrf', k: 60 } }, '1.12.0');
    expect(clientSide.kind).toBe('lists');
    const fractional = plan({ fusion: { kind: 'rrf', k: 2.5 } });
    expect(fractional.kind).toBe('lists');
  });

  it('asks for per-signal lists of point ids and scores when fusing on the client', () => {
    const result = plan({ fusion: { kind: 'rrf' }, filter: lang }, '1.19.0', {
      fusion: { rrf: 'client' },
    });
    expect(result.kind === 'lists' && result.requests).toEqual([
      { signal: 'dense', request: { ...dense, with_payload: false } },
      { signal: 'sparse', request: { ...sparse, with_payload: false } },
      { signal: 'colbert', request: { ...colbertRerank, with_payload: false } },
    ]);
  });

  it('scans ColBERT for its list when configured', () => {
    const result = plan({ fusion: { kind: 'rrf' } }, '1.19.0', {
      search: { colbertCandidates: 'scan', exact: true },
    });
    const prefetch = result.kind === 'server' ? (result.request.prefetch as Prefetch[]) : [];
    expect(prefetch.map((p) => [p.using, p.limit, p.params])).toEqual([
      ['dense', 40, { exact: true }],
      ['sparse', 40, undefined],
      ['colbert', 40, { exact: true }],
    ]);
  });
});

describe('planQuery: DBSF', () => {
  it('runs natively from Qdrant 1.11 (same formula as core: sample standard deviation)', () => {
    const result = plan({ fusion: { kind: 'dbsf' } });
    expect(result.kind === 'server' && result.request.query).toEqual({ fusion: 'dbsf' });
    expect(result.warnings).toEqual([]);
  });

  it('fuses on the client before 1.11, or when asked', () => {
    expect(plan({ fusion: { kind: 'dbsf' } }, '1.10.1').kind).toBe('lists');
    const asked = plan({ fusion: { kind: 'dbsf' } }, '1.19.0', { fusion: { dbsf: 'client' } });
    expect(asked.kind).toBe('lists');
    expect(asked.description).toContain('DBSF fused by m3kit');
    expect(
      plan({ fusion: { kind: 'dbsf' } }, '1.10.1', { fusion: { dbsf: 'native' } }).warnings[0],
    ).toMatch(/no DBSF/);
  });
});

describe('planQuery: weighted', () => {
  it('rescores the candidate union by every signal, then applies a formula', () => {
    const result = plan({ filter: lang });
    expect(result.kind).toBe('server');
    const request = result.kind === 'server' ? result.request : undefined;
    expect(request?.prefetch).toEqual([
      {
        prefetch: [dense, sparse],
        query: [0.5, 0.5],
        using: 'dense',
        limit: 80,
        params: RESCORE_PARAMS,
      },
      {
        prefetch: [dense, sparse],
        query: { indices: [7], values: [0.25] },
        using: 'sparse',
        limit: 80,
        params: RESCORE_PARAMS,
      },
      {
        prefetch: [dense, sparse],
        query: colbertRows,
        using: 'colbert',
        limit: 80,
        params: RESCORE_PARAMS,
      },
    ]);
    expect(request?.limit).toBe(10);
  });

  it('builds compute_score as a formula: weights over their sum, ColBERT divided by query rows, sparse default 0', () => {
    const resolved = resolveQuery(
      { embedding, topK: 5, weights: { dense: 1, sparse: 1, colbert: 2 } },
      signals,
    );
    expect(weightedFormula(resolved)).toEqual({
      formula: {
        sum: [
          { mult: [0.25, '$score[0]'] },
          { mult: [0.25, '$score[1]'] },
          { mult: [0.5 / 3, '$score[2]'] },
        ],
      },
      defaults: { '$score[1]': 0 },
    });
  });

  it('computes the weighted score on the client before Qdrant 1.14 (same rescoring requests)', () => {
    const result = plan({}, '1.13.0');
    expect(result.kind).toBe('rescore');
    expect(
      result.kind === 'rescore' &&
        result.requests.map((r) => [r.signal, r.request.limit, r.request.with_payload]),
    ).toEqual([
      ['dense', 80, false],
      ['sparse', 80, false],
      ['colbert', 80, false],
    ]);
  });

  it('adds a ColBERT scan to the union when configured', () => {
    const result = plan({}, '1.19.0', { search: { colbertCandidates: 'scan' } });
    const first = result.kind === 'server' ? (result.request.prefetch as Prefetch[])[0] : undefined;
    expect((first?.prefetch as Prefetch[] | undefined)?.map((p) => p.using)).toEqual([
      'dense',
      'sparse',
      'colbert',
    ]);
    expect(first?.limit).toBe(120);
  });
});

describe('planQuery: compact ColBERT', () => {
  const quantized = {
    colbert: {
      quantization: { kind: 'binary' as const },
      score: 'quantized' as const,
      onDisk: true,
    },
  };

  it('rescores ColBERT on the quantised copy only when told to, everywhere it reranks', () => {
    const weighted = plan({}, '1.19.0', quantized);
    const prefetches = weighted.kind === 'server' ? (weighted.request.prefetch as Prefetch[]) : [];
    expect(prefetches.map((p) => p.params)).toEqual([
      RESCORE_PARAMS,
      RESCORE_PARAMS,
      QUANTIZED_RESCORE_PARAMS,
    ]);
    const rrf = plan({ fusion: { kind: 'rrf' } }, '1.19.0', quantized);
    const lists = rrf.kind === 'server' ? (rrf.request.prefetch as Prefetch[]) : [];
    expect(lists.find((p) => p.using === 'colbert')?.params).toEqual(QUANTIZED_RESCORE_PARAMS);
  });

  it('scans with the copy, rescoring its best with the originals unless scoring the copy', () => {
    const single = (options: Partial<QdrantStoreOptions>) => {
      const result = plan({ signals: ['colbert'] }, '1.19.0', options);
      return result.kind === 'server' ? result.request.params : undefined;
    };
    expect(single({})).toEqual({ exact: true });
    expect(single({ colbert: { quantization: true } })).toEqual({
      quantization: { rescore: true },
    });
    expect(single(quantized)).toEqual({ quantization: { rescore: false } });
    expect(single({ colbert: { datatype: 'turbo4' } })).toEqual({ exact: true });
  });
});
