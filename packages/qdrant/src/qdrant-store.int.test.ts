import {
  AbortedError,
  CollectionMismatchError,
  ExactStore,
  PartialWriteError,
  ALL_SIGNALS,
  colbertScore,
  rankCandidates,
  resolveQuery,
  signalList,
  type CollectionSpec,
  type HybridQuery,
  type M3Record,
  type QueryHit,
} from '@m3kit/core';
import { FILTER_CASES, expectExactRanking, recallAt10 } from '@m3kit/core/conformance';
import {
  SYNTHETIC_METADATA_FIELDS,
  serverFromEnv,
  syntheticCorpus,
  uniqueCollectionName,
} from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QdrantStore } from './qdrant-store.js';
import type { QdrantStoreOptions } from './options.js';

const { address: url } = serverFromEnv('QDRANT_URL', 'qdrant integration tests');

const DIMENSION = 64;
const corpus = syntheticCorpus({
  seed: 11,
  documents: 160,
  queries: 8,
  dimension: DIMENSION,
  colbertRows: [4, 48],
});
const METADATA_FIELDS = SYNTHETIC_METADATA_FIELDS;

function spec(label: string, overrides: Partial<CollectionSpec> = {}): CollectionSpec {
  return {
    name: uniqueCollectionName(`m3q_${label}`),
    denseDimension: DIMENSION,
    metadataFields: METADATA_FIELDS,
    ...overrides,
  };
}

function store(collection: CollectionSpec, options: Partial<QdrantStoreOptions> = {}): QdrantStore {
  return new QdrantStore({ url: url!, collection, ...options });
}

/**
 * The exact ranking over the whole corpus with every fused score, built from the exact store's
 * per-signal scores with core's rankCandidates: a document sharing no token with the query is no
 * sparse candidate (core's rule too since b799f46; kept explicit here because the adapter relies on it).
 */
async function referenceFor(
  exact: ExactStore,
  request: HybridQuery,
): Promise<{ top: QueryHit[]; all: Map<string, number> }> {
  const resolved = resolveQuery({ ...request, topK: corpus.records.length }, ALL_SIGNALS);
  const everything = await exact.query({
    ...request,
    fusion: { kind: 'weighted' },
    topK: corpus.records.length,
  });
  const scores = new Map(everything.hits.map((h) => [h.id, h.signalScores]));
  const matching = new Map([...scores].filter(([, s]) => s.sparse === undefined || s.sparse > 0));
  const lists = Object.fromEntries(
    resolved.signals.map((signal) => [
      signal,
      signalList(signal === 'sparse' ? matching : scores, signal, resolved.candidates[signal]),
    ]),
  );
  const single = resolved.signals.length === 1 ? resolved.signals[0] : undefined;
  const ranked = rankCandidates(resolved, single === 'sparse' ? matching : scores, lists);
  const all = new Map(ranked.map((h) => [h.id, h.score]));
  const top = ranked
    .slice(0, request.topK)
    .map((h) => ({ id: h.id, score: h.score, signalScores: scores.get(h.id) ?? {} }));
  return { top, all };
}

describe.skipIf(!url)('QdrantStore against a real Qdrant server', { timeout: 120_000 }, () => {
  const collection = spec('main');
  const exactCollection = { ...collection };
  let main: QdrantStore;
  let exact: ExactStore;
  const created: QdrantStore[] = [];

  const reference = (request: HybridQuery) => referenceFor(exact, request);

  beforeAll(async () => {
    main = store(collection, { search: { exact: true, colbertCandidates: 'scan' } });
    created.push(main);
    expect(await main.ensureCollection()).toEqual({ created: true });
    exact = new ExactStore({ collection: exactCollection });
    await exact.ensureCollection();
    await main.upsert(corpus.records);
    await exact.upsert(corpus.records);
  }, 300_000);

  afterAll(async () => {
    for (const s of created) await s.drop().catch(() => undefined);
  });

  describe('collection', () => {
    it('reports the server version and its features', async () => {
      const features = await main.serverFeatures();
      console.log(`qdrant integration tests ran on Qdrant ${features.version}`);
      expect(features.queryApi).toBe(true);
      expect(main.capabilities.backend).toBe(`qdrant ${features.version}`);
    });

    it('finds the collection again, and names every difference of a mismatching spec', async () => {
      expect(await store(collection).ensureCollection()).toEqual({ created: false });
      const other = store({ ...collection, denseDimension: 32, signals: ['dense', 'colbert'] });
      const error = await other.ensureCollection().catch((e: unknown) => e);
      expect(CollectionMismatchError.isInstance(error)).toBe(true);
      expect((error as CollectionMismatchError).differences).toEqual([
        'dense dimension: existing 64, requested 32',
        'ColBERT dimension: existing 64, requested 32',
        'signals: existing collection stores sparse ("sparse"), requested signals dense+colbert',
      ]);
    });

    it('lets concurrent ensureCollection calls race: one creates, the others validate', async () => {
      const racing = spec('race');
      const stores = [store(racing), store(racing), store(racing)];
      created.push(stores[0]!);
      const results = await Promise.all(stores.map((s) => s.ensureCollection()));
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('takes a server version override and picks the paths that version has', async () => {
      const old = store(collection, {
        serverVersion: '1.10.0',
        search: { exact: true, colbertCandidates: 'scan' },
      });
      expect(old.capabilities.backend).toBe('qdrant 1.10.0');
      expect(old.capabilities.nativeFusion).toEqual([]);
      const request: HybridQuery = { embedding: corpus.queries[0]!, topK: 10, candidates: 40 };
      for (const fusion of [
        { kind: 'weighted' },
        { kind: 'rrf', k: 60 },
        { kind: 'dbsf' },
      ] as const) {
        const result = await old.query({ ...request, fusion });
        expect(result.execution.fusion, fusion.kind).toBe('client');
        const { top, all } = await reference({ ...request, fusion });
        if (fusion.kind === 'weighted')
          for (const hit of result.hits)
            expect(Math.abs(hit.score - all.get(hit.id)!)).toBeLessThan(2e-5);
        else expectExactRanking(result.hits, top, all, 2e-5, `1.10 ${fusion.kind}`);
      }
    });

    it('creates the payload indexes of the metadata fields', async () => {
      const info = await main.client.getCollection(collection.name);
      expect(
        Object.fromEntries(Object.entries(info.payload_schema).map(([k, v]) => [k, v?.data_type])),
      ).toEqual({
        'metadata.lang': 'keyword',
        'metadata.year': 'integer',
        'metadata.rating': 'float',
        'metadata.published': 'bool',
        'metadata.tags': 'keyword',
        'metadata.source': 'keyword',
        'metadata.author': 'keyword',
      });
    });
  });

  describe('writes', () => {
    it('stores every float32 exactly and returns records in the order asked', async () => {
      const ids = [corpus.records[5]!.id, 'missing', corpus.records[2]!.id];
      const got = await main.get(ids, { includeEmbedding: true });
      expect(got.map((r) => r.id)).toEqual([ids[0], ids[2]]);
      const original = corpus.records[5]!;
      expect(got[0]!.text).toBe(original.text);
      expect(got[0]!.metadata).toEqual(original.metadata);
      expect(Array.from(got[0]!.embedding!.dense!)).toEqual(Array.from(original.embedding.dense!));
      expect(Array.from(got[0]!.embedding!.lexical!.indices)).toEqual(
        Array.from(original.embedding.lexical!.indices),
      );
      expect(Array.from(got[0]!.embedding!.lexical!.values)).toEqual(
        Array.from(original.embedding.lexical!.values),
      );
      expect(got[0]!.embedding!.colbert!.rows).toBe(original.embedding.colbert!.rows);
      expect(Array.from(got[0]!.embedding!.colbert!.data)).toEqual(
        Array.from(original.embedding.colbert!.data),
      );
    });

    it('is idempotent by id and deletes by id (unknown ids count as written)', async () => {
      const s = store(spec('writes'));
      created.push(s);
      await s.ensureCollection();
      const records = corpus.records.slice(0, 20);
      await s.upsert(records);
      await s.upsert(records.slice(0, 10));
      expect(await s.count()).toBe(20);
      const report = await s.delete([records[0]!.id, 'never-written']);
      expect(report).toEqual({ written: [records[0]!.id, 'never-written'], failed: [] });
      expect(await s.count()).toBe(19);
      // Two versions of one id in one call: the last one wins.
      await s.upsert([
        { ...records[1]!, text: 'first' },
        { ...records[1]!, text: 'second' },
      ]);
      expect((await s.get([records[1]!.id]))[0]!.text).toBe('second');
    });

    it('reports invalid records per id and writes the others', async () => {
      const s = store(spec('partial'));
      created.push(s);
      await s.ensureCollection();
      const good = corpus.records.slice(0, 3);
      const bad: M3Record = {
        ...corpus.records[3]!,
        id: 'bad-dim',
        embedding: { ...corpus.records[3]!.embedding, dense: new Float32Array(3) },
      };
      const error = await s.upsert([...good, bad]).catch((e: unknown) => e);
      expect(PartialWriteError.isInstance(error)).toBe(true);
      const report = (error as PartialWriteError).report;
      expect(report.written).toEqual(good.map((r) => r.id));
      expect(report.failed.map((f) => f.id)).toEqual(['bad-dim']);
      expect(await s.count()).toBe(3);
    });

    it("isolates a point the server rejects (a multivector at Qdrant's limit) and writes its batch neighbours", async () => {
      // 1,024 rows of 1024 = 1,048,576 floats: Qdrant rejects >= 1,048,576. Let it through our own
      // check (maxFloats) so the server rejects it, and watch the batch get split around it.
      const big = spec('limit', { denseDimension: 1024, signals: ['colbert'], metadataFields: [] });
      const s = store(big, { colbert: { maxFloats: 1_048_576 } });
      created.push(s);
      await s.ensureCollection();
      const row = (rows: number, id: string): M3Record => {
        const data = new Float32Array(rows * 1024);
        for (let r = 0; r < rows; r++) {
          data[r * 1024 + (r % 1024)] = 0.75;
          data[r * 1024 + ((r + 1) % 1024)] = 0.25;
        }
        return { id, embedding: { colbert: { data, rows, dim: 1024 } } };
      };
      const report = await s.upsert(
        [row(2, 'a'), row(1024, 'too-big'), row(3, 'b'), row(1023, 'largest-allowed')],
        { onFailure: 'report' },
      );
      expect([...report.written].sort()).toEqual(['a', 'b', 'largest-allowed']);
      expect(report.failed.map((f) => f.id)).toEqual(['too-big']);
      expect(report.failed[0]!.error.message).toMatch(/qdrant: upsert: HTTP 4\d\d/);
      // Without the override the adapter refuses it before sending, with a clear message.
      const strict = store(big);
      const refused = await strict.upsert([row(1024, 'too-big')], { onFailure: 'report' });
      expect(refused.failed[0]!.error.message).toMatch(
        /at most 1048575 floats per multivector \(1023 rows of 1024\)/,
      );
    });

    it('sends a 2-row ColBERT matrix whose first row is whole numbers (Qdrant would parse it as sparse) rows swapped', async () => {
      const s = store(spec('tworows', { signals: ['colbert'], metadataFields: [] }));
      created.push(s);
      await s.ensureCollection();
      const data = new Float32Array(2 * DIMENSION);
      data[3] = 1; // row 0: one-hot, all whole numbers
      data[DIMENSION + 5] = 0.6;
      data[DIMENSION + 6] = 0.8;
      const record: M3Record = {
        id: 'one-hot-first',
        embedding: { colbert: { data, rows: 2, dim: DIMENSION } },
      };
      await s.upsert([record]);
      const query = { data: data.slice(), rows: 2, dim: DIMENSION };
      const result = await s.query({ embedding: { colbert: query }, topK: 1 });
      expect(result.hits[0]!.id).toBe('one-hot-first');
      expect(result.hits[0]!.score).toBeCloseTo(colbertScore(query, record.embedding.colbert!), 6);
      const twoWhole = new Float32Array(2 * DIMENSION);
      twoWhole[0] = 1;
      twoWhole[DIMENSION + 1] = 1;
      const report = await s.upsert(
        [
          {
            id: 'two-one-hot',
            embedding: { colbert: { data: twoWhole, rows: 2, dim: DIMENSION } },
          },
        ],
        { onFailure: 'report' },
      );
      expect(report.failed[0]!.error.message).toMatch(/parses as a sparse vector/);
    });

    it('honours an aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(
        main.upsert(corpus.records.slice(0, 1), { signal: controller.signal }),
      ).rejects.toSatisfy(AbortedError.isInstance);
      await expect(
        main.query({ embedding: corpus.queries[0]!, topK: 3 }, { signal: controller.signal }),
      ).rejects.toSatisfy(AbortedError.isInstance);
    });
  });

  describe('filters', () => {
    for (const { label, filter } of FILTER_CASES) {
      it(`count and query agree with the exact store: ${label}`, async () => {
        expect(await main.count(filter)).toBe(await exact.count(filter));
        const request: HybridQuery = {
          embedding: corpus.queries[0]!,
          signals: ['dense'],
          topK: 200,
          candidates: 200,
          filter,
        };
        const got = await main.query(request);
        const want = await exact.query(request);
        expect(got.hits.map((h) => h.id).sort()).toEqual(want.hits.map((h) => h.id).sort());
      });
    }
  });

  describe('queries against the exact store', () => {
    const MODES: ReadonlyArray<{
      label: string;
      query: Partial<HybridQuery>;
      options?: Partial<QdrantStoreOptions>;
      fusion: string;
    }> = [
      { label: 'dense', query: { signals: ['dense'] }, fusion: 'none' },
      { label: 'sparse', query: { signals: ['sparse'] }, fusion: 'none' },
      { label: 'colbert', query: { signals: ['colbert'] }, fusion: 'none' },
      { label: 'weighted (formula)', query: { fusion: { kind: 'weighted' } }, fusion: 'native' },
      {
        label: 'weighted (client)',
        query: { fusion: { kind: 'weighted' } },
        options: { fusion: { weighted: 'client' } },
        fusion: 'client',
      },
      {
        label: 'weighted, custom weights',
        query: { fusion: { kind: 'weighted' }, weights: { dense: 1, sparse: 3, colbert: 0.5 } },
        fusion: 'native',
      },
      { label: 'rrf (native)', query: { fusion: { kind: 'rrf' } }, fusion: 'native' },
      { label: 'rrf k=5 (native)', query: { fusion: { kind: 'rrf', k: 5 } }, fusion: 'native' },
      {
        label: 'rrf (client)',
        query: { fusion: { kind: 'rrf' } },
        options: { fusion: { rrf: 'client' } },
        fusion: 'client',
      },
      { label: 'dbsf (native)', query: { fusion: { kind: 'dbsf' } }, fusion: 'native' },
      {
        label: 'dbsf (client)',
        query: { fusion: { kind: 'dbsf' } },
        options: { fusion: { dbsf: 'client' } },
        fusion: 'client',
      },
      { label: 'dense+sparse weighted', query: { signals: ['dense', 'sparse'] }, fusion: 'native' },
      {
        label: 'sparse+colbert rrf',
        query: { signals: ['sparse', 'colbert'], fusion: { kind: 'rrf' } },
        fusion: 'native',
      },
    ];
    for (const { label, query, options, fusion } of MODES) {
      it(`${label}: exact top-10 with exact search and ColBERT scan`, async () => {
        const s = store(collection, {
          search: { exact: true, colbertCandidates: 'scan' },
          ...options,
        });
        const recalls: number[] = [];
        for (const [q, embedding] of corpus.queries.entries()) {
          const request: HybridQuery = { ...query, embedding, topK: 10, candidates: 40 };
          const got = await s.query(request);
          expect(got.execution.fusion).toBe(fusion);
          const { top, all } = await reference(request);
          recalls.push(recallAt10(got.hits, top));
          if (label.includes('weighted')) {
            // The candidate union is not the whole corpus: exact scores for what it returns.
            for (const hit of got.hits)
              expect(Math.abs(hit.score - all.get(hit.id)!)).toBeLessThan(2e-5);
          } else {
            expectExactRanking(got.hits, top, all, 2e-5, `${label} query ${q}`);
          }
        }
        const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
        console.log(`qdrant ${label}: recall@10 ${recall.toFixed(3)}`);
        if (label.includes('weighted')) expect(recall).toBeGreaterThanOrEqual(0.9);
      });
    }

    it('default options (HNSW, ColBERT rerank of dense+sparse candidates): recall@10 per mode', async () => {
      const s = store(collection);
      for (const fusion of ['weighted', 'rrf', 'dbsf'] as const) {
        const recalls: number[] = [];
        for (const embedding of corpus.queries) {
          const request: HybridQuery = {
            embedding,
            topK: 10,
            candidates: 40,
            fusion: { kind: fusion },
          };
          recalls.push(
            recallAt10((await s.query(request)).hits, (await exact.query(request)).hits),
          );
        }
        const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
        console.log(`qdrant default options ${fusion}: recall@10 ${recall.toFixed(3)}`);
        const floor = s.capabilities.accuracy[fusion];
        if (floor !== 'exact') expect(recall).toBeGreaterThanOrEqual(floor.minRecallAt10);
      }
    });
  });

  describe('Qdrant fusion semantics, measured (see README)', () => {
    it("Qdrant's MaxSim is the undivided sum: raw score / query rows = core's colbert_score", async () => {
      const embedding = corpus.queries[1]!;
      const raw = await main.client.query(collection.name, {
        query: Array.from({ length: embedding.colbert!.rows }, (_, r) =>
          Array.from(embedding.colbert!.data.subarray(r * DIMENSION, (r + 1) * DIMENSION)),
        ),
        using: 'colbert',
        limit: 3,
        with_payload: ['document_id'],
      });
      for (const point of raw.points) {
        const record = corpus.records.find((r) => r.id === point.payload!['document_id'])!;
        const core = colbertScore(embedding.colbert!, record.embedding.colbert!);
        expect(point.score / embedding.colbert!.rows).toBeCloseTo(core, 5);
        expect(point.score).not.toBeCloseTo(core, 2);
      }
    });

    it("native RRF with Qdrant k = core k + 1 gives core's scores", async () => {
      const request: HybridQuery = {
        embedding: corpus.queries[2]!,
        topK: 10,
        candidates: 40,
        fusion: { kind: 'rrf', k: 60 },
      };
      const native = await store(collection, {
        search: { exact: true, colbertCandidates: 'scan' },
      }).query(request);
      const client = await store(collection, {
        search: { exact: true, colbertCandidates: 'scan' },
        fusion: { rrf: 'client' },
      }).query(request);
      expect(native.execution.fusion).toBe('native');
      expect(client.execution.fusion).toBe('client');
      native.hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(client.hits[i]!.score, 6);
      });
    });

    it("native DBSF gives core's scores (both normalise with the sample standard deviation, no clamping)", async () => {
      const request: HybridQuery = {
        embedding: corpus.queries[3]!,
        topK: 10,
        candidates: 40,
        fusion: { kind: 'dbsf' },
      };
      const options: Partial<QdrantStoreOptions> = {
        search: { exact: true, colbertCandidates: 'scan' },
      };
      const native = await store(collection, options).query(request);
      const client = await store(collection, { ...options, fusion: { dbsf: 'client' } }).query(
        request,
      );
      expect(native.execution.fusion).toBe('native');
      expect(client.execution.fusion).toBe('client');
      native.hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(client.hits[i]!.score, 5);
      });
    });
  });
});
