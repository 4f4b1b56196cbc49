import {
  BackendError,
  CollectionMismatchError,
  InvalidInputError,
  lexicalMatchingScore,
  PartialWriteError,
  UnsupportedError,
  filters,
  type M3Record,
} from '@m3kit/core';
import { runStoreConformance } from '@m3kit/core/conformance';
import { syntheticCorpus, uniqueCollectionName } from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticStore, SPARSE_RELATIVE_ERROR } from './elastic-store.js';
import { testClient } from './test-client.int-helper.js';

const url = process.env.ES_URL;
if (!url) console.warn('SKIPPED: elasticsearch integration tests: ES_URL not set');
const client = url ? testClient(url) : undefined;
const settings = { number_of_shards: 1, number_of_replicas: 0 };
const name = (what: string): string => uniqueCollectionName(`m3es_${what}`);

// The one-request hybrid (scores from Elasticsearch), on an exact (flat) dense index.
runStoreConformance({
  name: 'elasticsearch (flat, server scoring)',
  skipReason: url ? undefined : 'ES_URL not set',
  create: async (spec) =>
    new ElasticStore({
      client: client!,
      collection: spec,
      indexSettings: settings,
      denseIndex: { type: 'flat' },
      scoring: 'server',
    }),
});

describe.skipIf(!url)('elasticsearch specifics', () => {
  const corpus = syntheticCorpus({ documents: 60, queries: 8, seed: 7 });
  const spec = {
    name: name('paths'),
    denseDimension: 1024,
    metadataFields: [
      { name: 'lang', type: 'keyword' as const },
      { name: 'year', type: 'integer' as const },
    ],
  };
  let store: ElasticStore;

  beforeAll(async () => {
    store = new ElasticStore({
      client: client!,
      collection: spec,
      indexSettings: settings,
      scoring: 'server',
      denseIndex: { type: 'flat' },
    });
    await store.ensureCollection();
    await store.upsert(corpus.records);
  });

  afterAll(async () => {
    await store?.drop();
  });

  it('detects the cluster: version, modules, licence', () => {
    const features = store.clusterFeatures!;
    console.log(`elasticsearch cluster: ${JSON.stringify(features)}`);
    expect(features.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(features.modules).toContain('x-pack-core');
    expect(features.license).not.toBe('unknown');
  });

  it('one request: the summed score is the weighted dense + sparse dot product, kNN transform undone', async () => {
    const weights = { dense: 0.4, sparse: 0.2 };
    let worstSparse = 0;
    let worstDense = 0;
    for (const query of corpus.queries) {
      const result = await store.query({
        embedding: query,
        signals: ['dense', 'sparse'],
        weights,
        topK: 10,
        candidates: corpus.records.length,
      });
      expect(result.execution.fusion).toBe('native');
      for (const hit of result.hits) {
        const record = corpus.records.find((r) => r.id === hit.id)!;
        const dense = dot(query.dense!, record.embedding.dense!);
        const sparse = lexicalMatchingScore(query.lexical!, record.embedding.lexical!);
        worstDense = Math.max(worstDense, Math.abs(hit.signalScores.dense! - dense));
        if (sparse > 0) {
          const relative = (sparse - hit.signalScores.sparse!) / sparse;
          // Rounded down, never up, by at most 2^-8.
          expect(relative).toBeGreaterThanOrEqual(-1e-6);
          expect(relative).toBeLessThanOrEqual(SPARSE_RELATIVE_ERROR);
          worstSparse = Math.max(worstSparse, relative);
        }
        const combined =
          (weights.dense * dense + weights.sparse * sparse) / (weights.dense + weights.sparse);
        expect(Math.abs(hit.score - combined)).toBeLessThanOrEqual(
          SPARSE_RELATIVE_ERROR * Math.abs(sparse) + 1e-6,
        );
      }
    }
    console.log(
      `elasticsearch one-request hybrid: max dense error ${worstDense.toExponential(2)}, max sparse relative error ${worstSparse.toExponential(3)} (bound 2^-8 = ${SPARSE_RELATIVE_ERROR})`,
    );
    expect(worstDense).toBeLessThan(1e-6);
  });

  it('the raw Elasticsearch score is boost * (1 + dot) / 2 for the kNN part plus the boosted term sum', async () => {
    const query = corpus.queries[0]!;
    const record = corpus.records[0]!;
    const vector = Array.from(query.dense!);
    const should = Array.from(query.lexical!.indices, (token, i) => ({
      term: { sparse: { value: String(token), boost: query.lexical!.values[i]! } },
    }));
    const response = await client!.search({
      index: spec.name,
      knn: { field: 'dense', query_vector: vector, k: 60, num_candidates: 120, boost: 3 },
      query: { bool: { should, filter: [{ ids: { values: [record.id] } }] } },
      size: 60,
      _source: false,
    });
    const hit = response.hits.hits.find((h) => h._id === record.id)!;
    const dense = dot(query.dense!, record.embedding.dense!);
    const sparse = lexicalMatchingScore(query.lexical!, record.embedding.lexical!);
    const expected = (3 * (1 + dense)) / 2 + sparse;
    expect(Math.abs(hit._score! - expected)).toBeLessThanOrEqual(
      SPARSE_RELATIVE_ERROR * sparse + 1e-5,
    );
  });

  it('measures the sparse rounding over the whole corpus', async () => {
    let worst = 0;
    let sum = 0;
    let n = 0;
    for (const query of corpus.queries) {
      const result = await store.query({
        embedding: query,
        signals: ['sparse'],
        topK: corpus.records.length,
        candidates: corpus.records.length,
      });
      for (const hit of result.hits) {
        const record = corpus.records.find((r) => r.id === hit.id)!;
        const exact = lexicalMatchingScore(query.lexical!, record.embedding.lexical!);
        if (exact === 0) continue;
        const relative = Math.abs(exact - hit.score) / exact;
        worst = Math.max(worst, relative);
        sum += relative;
        n++;
      }
    }
    console.log(
      `elasticsearch sparse_vector precision: ${n} scores, max relative error ${worst.toExponential(3)}, mean ${(sum / n).toExponential(3)}`,
    );
    expect(worst).toBeLessThanOrEqual(SPARSE_RELATIVE_ERROR);
  });

  it('reports a document Elasticsearch refuses (400) by id as an input problem, writing the others', async () => {
    const good = { ...corpus.records[1]!, id: 'refused-neighbour' };
    // A keyword longer than Lucene's 32,766-byte term limit: valid for m3kit, refused by the index.
    const refused: M3Record = {
      ...corpus.records[2]!,
      id: 'refused',
      metadata: { lang: 'x'.repeat(40_000) },
    };
    const error = await store.upsert([good, refused]).catch((e: unknown) => e);
    expect(PartialWriteError.isInstance(error)).toBe(true);
    const report = (error as PartialWriteError).report;
    expect(report.written).toEqual(['refused-neighbour']);
    expect(report.failed.map((f) => f.id)).toEqual(['refused']);
    const failure = report.failed[0]!.error;
    // The document's own problem: an InvalidInputError naming it, not a BackendError to "fix the backend".
    expect(InvalidInputError.isInstance(failure)).toBe(true);
    expect(failure.message).toMatch(/refused the document.*item: refused/);
    await store.delete(['refused-neighbour']);
  });

  it('on a quantised (int8_hnsw) index, rescore_vector makes the one-request dense scores exact', async () => {
    const quantised = new ElasticStore({
      client: client!,
      collection: { ...spec, name: name('int8') },
      indexSettings: settings,
      scoring: 'server',
      denseIndex: { type: 'int8_hnsw' },
    });
    await quantised.ensureCollection();
    try {
      await quantised.upsert(corpus.records.slice(0, 30));
      let worst = 0;
      for (const query of corpus.queries) {
        const result = await quantised.query({ embedding: query, signals: ['dense'], topK: 10 });
        for (const hit of result.hits) {
          const record = corpus.records.find((r) => r.id === hit.id)!;
          worst = Math.max(worst, Math.abs(hit.score - dot(query.dense!, record.embedding.dense!)));
        }
      }
      console.log(
        `elasticsearch int8_hnsw + rescore_vector: max dense score error ${worst.toExponential(2)}`,
      );
      expect(worst).toBeLessThan(1e-6);
    } finally {
      await quantised.drop();
    }
  });

  it('a ColBERT-only query embedding finds candidates by the mean row, or without it scans every document exactly', async () => {
    const { ExactStore } = await import('@m3kit/core');
    const exact = new ExactStore({ collection: spec });
    await exact.ensureCollection();
    await exact.upsert(corpus.records);
    const query = {
      embedding: { colbert: corpus.queries[3]!.colbert! },
      topK: 10,
      filter: filters.ne('lang', 'en'),
    };
    expect((await store.query(query)).execution.description).toMatch(/ColBERT mean knn/);
    const scanning = new ElasticStore({
      client: client!,
      collection: { ...spec, name: name('scan') },
      indexSettings: settings,
      colbertMeanVector: false,
    });
    await scanning.ensureCollection();
    await scanning.upsert(corpus.records);
    const [actual, expected] = [await scanning.query(query), await exact.query(query)];
    await scanning.drop();
    expect(actual.execution.description).toMatch(/full scan/);
    expect(actual.hits.map((h) => h.id)).toEqual(expected.hits.map((h) => h.id));
    // Within the stored form's declared error, as the conformance suite applies it (int8 rows by default).
    const tolerance = scanning.capabilities.scoreTolerance;
    actual.hits.forEach((hit, i) => {
      expect(Math.abs(hit.score - expected.hits[i]!.score)).toBeLessThan(
        tolerance * Math.max(1, Math.abs(expected.hits[i]!.score)),
      );
    });
  });

  it('a server it cannot reach fails every id of a write with a retryable BackendError', async () => {
    const unreachable = new ElasticStore({
      node: 'http://127.0.0.1:1',
      collection: spec,
      write: { retry: { retries: 1 } },
      clusterFeatures: { version: '8.19.0', modules: [], license: 'basic' },
    });
    // ensureCollection would fail too; write through a store that believes the index is ready.
    (unreachable as unknown as { ready: boolean }).ready = true;
    const report = await unreachable.upsert(corpus.records.slice(0, 3), { onFailure: 'report' });
    expect(report.written).toEqual([]);
    expect(report.failed.map((f) => f.id)).toEqual(corpus.records.slice(0, 3).map((r) => r.id));
    for (const failure of report.failed)
      expect(BackendError.isInstance(failure.error) && failure.error.isRetryable).toBe(true);
    await unreachable.close();
  });

  it('refuses filters on undeclared metadata fields', async () => {
    const error = await store.count(filters.eq('batch', 'x')).catch((e: unknown) => e);
    expect(UnsupportedError.isInstance(error)).toBe(true);
  });

  it('names a different ColBERT encoding or dense index type of an existing index', async () => {
    const other = new ElasticStore({
      client: client!,
      collection: spec,
      colbertEncoding: 'float32',
      denseIndex: { type: 'hnsw' },
    });
    const error = await other.ensureCollection().catch((e: unknown) => e);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    const text = (error as CollectionMismatchError).differences.join('\n');
    expect(text).toMatch(/ColBERT encoding: existing "int8", requested "float32"/);
    expect(text).toMatch(/dense index type: existing "flat", requested "hnsw"/);
  });

  it('an index written in the older int16 form: a clear error naming it and the fix, then read as it is', async () => {
    const oldSpec = { name: name('int16'), denseDimension: 1024 };
    const old = new ElasticStore({
      client: client!,
      collection: oldSpec,
      indexSettings: settings,
      colbertEncoding: 'int16',
    });
    await old.ensureCollection();
    await old.upsert(corpus.records.slice(0, 20));
    try {
      const reopened = new ElasticStore({ client: client!, collection: oldSpec });
      const error = await reopened.ensureCollection().catch((e: unknown) => e);
      expect(CollectionMismatchError.isInstance(error)).toBe(true);
      expect((error as CollectionMismatchError).collection).toBe(oldSpec.name);
      const text = (error as CollectionMismatchError).differences.join('\n');
      expect(text).toContain(`open "${oldSpec.name}" with colbertEncoding: "int16"`);
      expect(text).toContain('migrate');
      // Opened as the error says, it reads and rescores its int16 rows.
      const asOld = new ElasticStore({
        client: client!,
        collection: oldSpec,
        colbertEncoding: 'int16',
      });
      await asOld.ensureCollection();
      const result = await asOld.query({
        embedding: corpus.queries[0]!,
        signals: ['colbert'],
        topK: 3,
      });
      expect(result.hits).toHaveLength(3);
      expect(result.execution.description).toMatch(/ColBERT int16/);
      await asOld.close();
    } finally {
      await old.drop();
      await old.close();
    }
  });

  it('falls back to exact client scoring for ColBERT, and says so', async () => {
    const result = await store.query({ embedding: corpus.queries[1]!, topK: 5 });
    expect(result.execution.colbert).toBe('client');
    expect(result.execution.description).toMatch(/wasm-simd/);
    expect(result.warnings.join(' ')).toMatch(/scored exactly on the client/);
  });
});

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
