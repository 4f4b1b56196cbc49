import {
  CollectionMismatchError,
  ExactStore,
  filters as f,
  lexicalFromPairs,
  lexicalMatchingScore,
  type CollectionSpec,
  type HybridQuery,
  type M3Record,
} from '@m3kit/core';
import { expectExactRanking } from '@m3kit/core/conformance';
import { HOSTILE_VALUE, syntheticCorpus, uniqueCollectionName } from '@m3kit/core/testing';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MilvusStore, type MilvusStoreOptions } from './milvus-store.js';
import { documentKey } from './collection-layout.js';

const address = process.env['MILVUS_ADDRESS'];
if (!address) console.warn('SKIPPED: milvus integration tests: MILVUS_ADDRESS not set');

const DIMENSION = 16;
const client = address
  ? new MilvusClient({ address, token: process.env['MILVUS_TOKEN'] ?? '', logLevel: 'error' })
  : undefined;
const stores: MilvusStore[] = [];

async function openStore(
  label: string,
  spec: Partial<CollectionSpec> = {},
  options: Partial<MilvusStoreOptions> = {},
): Promise<MilvusStore> {
  const store = new MilvusStore({
    client: client!,
    collection: { name: uniqueCollectionName(`m3mv_${label}`), denseDimension: DIMENSION, ...spec },
    ...options,
  });
  stores.push(store);
  await store.ensureCollection();
  return store;
}

function unit(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

function record(id: string, overrides: Partial<M3Record> = {}, seed = 1): M3Record {
  const dense = unit(Array.from({ length: DIMENSION }, (_, i) => Math.sin(seed * (i + 1))));
  return {
    id,
    text: `text of ${id}`,
    metadata: { n: seed },
    embedding: {
      dense,
      lexical: lexicalFromPairs([
        [seed + 4, 0.5],
        [1_000 + seed, 0.25],
      ]),
      colbert: {
        data: Float32Array.from([
          ...dense,
          ...unit(Array.from({ length: DIMENSION }, (_, i) => Math.cos(seed + i))),
        ]),
        rows: 2,
        dim: DIMENSION,
      },
    },
    ...overrides,
  };
}

afterAll(async () => {
  for (const store of stores) await store.drop().catch(() => undefined);
  await client?.closeConnection();
});

describe.skipIf(!address)(
  'milvus-lite sparse search is an inner product (the pinned server scores what BGE-M3 needs)',
  () => {
    let store: MilvusStore;
    // Chosen so that BM25 (what milvus-lite 3.x computes whatever the metric) would rank differently:
    // a short document with one strong shared token, a long one with a weak shared token, and one
    // whose score comes from a heavily weighted second token.
    const documents: M3Record[] = [
      record('short', {
        embedding: { ...record('short').embedding, lexical: lexicalFromPairs([[10, 0.9]]) },
      }),
      record('long', {
        embedding: {
          ...record('long').embedding,
          lexical: lexicalFromPairs([
            [10, 0.3],
            ...Array.from({ length: 50 }, (_, i) => [100 + i, 0.01] as [number, number]),
          ]),
        },
      }),
      record('two', {
        embedding: {
          ...record('two').embedding,
          lexical: lexicalFromPairs([
            [10, 0.5],
            [20, 2],
          ]),
        },
      }),
      record('none', {
        embedding: { ...record('none').embedding, lexical: lexicalFromPairs([[30, 1]]) },
      }),
    ];

    beforeAll(async () => {
      store = await openStore('sparseip');
      await store.upsert(documents);
    });

    it('scores sum(w_q * w_p) over shared token ids, exactly as lexicalMatchingScore', async () => {
      const lexical = lexicalFromPairs([
        [10, 1],
        [20, 0.5],
      ]);
      const result = await store.query({ embedding: { lexical }, signals: ['sparse'], topK: 3 });
      expect(result.hits.map((h) => h.id)).toEqual(['two', 'short', 'long']);
      expect(result.hits.map((h) => h.score)).toEqual([
        expect.closeTo(0.5 + 1.0, 6),
        expect.closeTo(0.9, 6),
        expect.closeTo(0.3, 6),
      ]);
      for (const hit of result.hits) {
        const stored = documents.find((d) => d.id === hit.id)!;
        expect(hit.score).toBeCloseTo(lexicalMatchingScore(lexical, stored.embedding.lexical!), 6);
      }
    });

    it('is linear in the query weights (BM25 is not)', async () => {
      const once = await store.query({
        embedding: {
          lexical: lexicalFromPairs([
            [10, 1],
            [20, 0.5],
          ]),
        },
        signals: ['sparse'],
        topK: 3,
      });
      const twice = await store.query({
        embedding: {
          lexical: lexicalFromPairs([
            [10, 2],
            [20, 1],
          ]),
        },
        signals: ['sparse'],
        topK: 3,
      });
      twice.hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(2 * once.hits[i]!.score, 6);
      });
    });

    it('matches lexicalMatchingScore on a full-vocabulary synthetic corpus', async () => {
      const corpus = syntheticCorpus({
        seed: 5,
        documents: 60,
        queries: 6,
        dimension: DIMENSION,
        colbertRows: [2, 4],
      });
      const big = await openStore('sparseipcorpus');
      await big.upsert(corpus.records);
      const byId = new Map(corpus.records.map((r) => [r.id, r]));
      for (const embedding of corpus.queries) {
        const result = await big.query({ embedding, signals: ['sparse'], topK: 20 });
        for (const hit of result.hits) {
          const want = lexicalMatchingScore(
            embedding.lexical!,
            byId.get(hit.id)!.embedding.lexical!,
          );
          expect(Math.abs(hit.score - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
        }
      }
    });
  },
);

describe.skipIf(!address)('hostile values against the real server', () => {
  const VALUES = [
    HOSTILE_VALUE,
    '" or 1==1 or "',
    "' or 1==1 or '",
    'back\\slash\\',
    'line\nbreak',
    'ünïcødé-東京-🙂',
    ') or (key != "',
    '',
  ];
  const IDS = [
    `id "quoted" 'single' \\ back`,
    'id\nwith\nnewlines',
    'ид-東京-🙂',
    `" or 1==1 or "`,
  ];
  let store: MilvusStore;

  beforeAll(async () => {
    store = await openStore('hostile');
    await store.upsert([
      ...VALUES.map((author, i) =>
        record(`doc-${i}`, { metadata: { author, tags: [author, 'common'] } }, i + 1),
      ),
      record('plain', { metadata: { author: 'plain' } }, 40),
      record('missing', { metadata: {} }, 41),
    ]);
  });

  it('a hostile metadata value matches only the document that really has it', async () => {
    const total = VALUES.length + 2;
    for (const [i, value] of VALUES.entries()) {
      expect(await store.count(f.eq('author', value)), JSON.stringify(value)).toBe(1);
      expect(await store.count(f.eq('tags', value)), JSON.stringify(value)).toBe(1);
      expect(await store.count(f.ne('author', value)), JSON.stringify(value)).toBe(total - 1);
      expect(await store.count(f.in('author', [value, 'nobody']))).toBe(1);
      const result = await store.query({
        embedding: record('q', {}, 3).embedding,
        topK: 20,
        filter: f.eq('author', value),
      });
      expect(result.hits.map((h) => h.id)).toEqual([`doc-${i}`]);
    }
  });

  it('ids with quotes, newlines and other scripts are written, found, replaced and deleted', async () => {
    await store.upsert(IDS.map((id, i) => record(id, {}, 50 + i)));
    const got = await store.get(IDS, { includeEmbedding: true });
    expect(got.map((r) => r.id)).toEqual(IDS);
    expect(got.every((r) => r.embedding?.colbert?.rows === 2)).toBe(true);
    await store.upsert(IDS.map((id, i) => record(id, {}, 50 + i)));
    expect((await store.get(IDS)).length).toBe(IDS.length);
    const result = await store.query({
      embedding: record(IDS[1]!, {}, 51).embedding,
      signals: ['colbert'],
      topK: 1,
    });
    expect(result.hits[0]?.id).toBe(IDS[1]);
    await store.delete(IDS);
    expect(await store.get(IDS)).toEqual([]);
  });
});

describe.skipIf(!address)('query paths', () => {
  const corpus = syntheticCorpus({
    seed: 7,
    documents: 90,
    queries: 8,
    dimension: DIMENSION,
    colbertRows: [3, 12],
  });
  let store: MilvusStore;
  let exact: ExactStore;
  let exactScores: (query: HybridQuery) => Promise<Map<string, number>>;

  beforeAll(async () => {
    store = await openStore('paths', { metadataFields: [{ name: 'lang', type: 'keyword' }] });
    exact = new ExactStore({ collection: store.collection });
    await exact.ensureCollection();
    await store.upsert(corpus.records);
    await exact.upsert(corpus.records);
    exactScores = async (query) => {
      const all = await exact.query({
        ...query,
        topK: corpus.records.length,
        candidates: query.candidates ?? 100,
      });
      return new Map(all.hits.map((h) => [h.id, h.score]));
    };
  });

  it('weighted fusion stays exact with shallow candidate lists, by going deeper until the bound is met', async () => {
    for (const embedding of corpus.queries) {
      for (const filter of [undefined, f.ne('lang', 'en')]) {
        const query: HybridQuery = {
          embedding,
          topK: 10,
          candidates: 1,
          ...(filter ? { filter } : {}),
        };
        const actual = await store.query(query);
        expect(actual.execution.fusion).toBe('client');
        expect(actual.execution.description).toMatch(/threshold bound met/);
        expect(actual.warnings).toEqual([]);
        const expected = await exact.query(query);
        const all = await exact.query({ ...query, topK: corpus.records.length });
        expectExactRanking(
          actual.hits,
          expected.hits,
          new Map(all.hits.map((h) => [h.id, h.score])),
          // The store's declared tolerance: float16 ColBERT token rows by default.
          store.capabilities.scoreTolerance,
          'weighted, shallow',
        );
      }
    }
  });

  it('rrf over dense + sparse runs natively (RRFRanker) and agrees with core when the sparse list is full', async () => {
    let compared = 0;
    for (const embedding of corpus.queries) {
      const sparseTop = await exact.query({ embedding, signals: ['sparse'], topK: 6 });
      if (sparseTop.hits.some((h) => h.score === 0)) continue;
      const query: HybridQuery = {
        embedding,
        signals: ['dense', 'sparse'],
        fusion: { kind: 'rrf', k: 10 },
        topK: 5,
        candidates: 6,
      };
      const native = await store.query(query);
      expect(native.execution.fusion).toBe('native');
      expect(native.execution.description).toMatch(/RRFRanker\(k=10\)/);
      const expected = await exact.query(query);
      expectExactRanking(native.hits, expected.hits, await exactScores(query), 1e-5, 'native rrf');
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('rrf falls back to the client with nativeRrf off, with ColBERT, or with a k Milvus cannot take', async () => {
    const clientOnly = new MilvusStore({
      client: client!,
      collection: store.collection,
      nativeRrf: false,
    });
    const embedding = corpus.queries[0]!;
    const viaClient = await clientOnly.query({
      embedding,
      signals: ['dense', 'sparse'],
      fusion: { kind: 'rrf' },
      topK: 5,
    });
    expect(viaClient.execution.fusion).toBe('client');
    expect(
      (await store.query({ embedding, fusion: { kind: 'rrf' }, topK: 5 })).execution.fusion,
    ).toBe('client');
    expect(
      (
        await store.query({
          embedding,
          signals: ['dense', 'sparse'],
          fusion: { kind: 'rrf', k: 0.5 },
          topK: 5,
        })
      ).execution.fusion,
    ).toBe('client');
  });

  it('an empty sparse query finds nothing, as the exact store (no document shares a token)', async () => {
    const query: HybridQuery = {
      embedding: { lexical: lexicalFromPairs([]) },
      signals: ['sparse'],
      topK: 5,
    };
    const actual = await store.query(query);
    const expected = await exact.query(query);
    expect(expected.hits).toEqual([]);
    expect(actual.hits).toEqual([]);
  });
});

describe.skipIf(!address)('collections and records', () => {
  it('names what differs in an existing collection', async () => {
    const store = await openStore('mismatch');
    const other = new MilvusStore({
      client: client!,
      collection: { ...store.collection, storeText: false, signals: ['dense', 'sparse'] },
    });
    const error = await other.ensureCollection().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    expect((error as CollectionMismatchError).differences).toEqual(
      expect.arrayContaining([
        'storeText: existing true, requested false',
        'signals: existing dense+sparse+colbert, requested dense+sparse',
      ]),
    );
  });

  it('stores long multi-byte text in chunks, and records without text or metadata', async () => {
    const store = await openStore('text');
    const long = 'ü東🙂 '.repeat(30_000);
    await store.upsert([
      record('long', { text: long }),
      record('bare', { metadata: undefined, text: undefined }),
      record('empty', { text: '' }),
    ]);
    const [got, bare, empty] = await store.get(['long', 'bare', 'empty']);
    expect(got!.text).toBe(long);
    expect(bare!.text).toBeUndefined();
    expect(bare!.metadata).toBeUndefined();
    expect(empty!.text).toBe('');
  });

  it('replaces a document’s ColBERT rows on re-ingest and removes them on delete', async () => {
    const store = await openStore('rows');
    const rowsOf = async (id: string): Promise<number> => {
      const response = await client!.query({
        collection_name: `${store.collection.name}__colbert`,
        filter: `doc_key == "${documentKey(id)}"`,
        output_fields: ['count(*)'],
      });
      return Number(response.data[0]?.['count(*)'] ?? 0);
    };
    const five = { data: new Float32Array(5 * DIMENSION).fill(0.25), rows: 5, dim: DIMENSION };
    await store.upsert([record('x', { embedding: { ...record('x').embedding, colbert: five } })]);
    expect(await rowsOf('x')).toBe(5);
    await store.upsert([record('x')]);
    expect(await rowsOf('x')).toBe(2);
    const [got] = await store.get(['x'], { includeEmbedding: true });
    // float16 token rows (the default): each value within half a float16 step of what was written.
    const written = record('x').embedding.colbert!.data;
    got!.embedding!.colbert!.data.forEach((value, i) => {
      expect(Math.abs(value - written[i]!)).toBeLessThanOrEqual(
        Math.abs(written[i]!) * 2 ** -11 + 6e-8,
      );
    });
    await store.delete(['x']);
    expect(await rowsOf('x')).toBe(0);
  });

  it('a companion of float32 rows (the layout before float16): an error naming it and the fix, then read as it is', async () => {
    const old = await openStore('f32rows', {}, { colbertVectorType: 'float32' });
    await old.upsert([record('a'), record('b')]);
    const reopened = new MilvusStore({ client: client!, collection: old.collection });
    const error = await reopened.ensureCollection().catch((e: unknown) => e);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    const text = (error as CollectionMismatchError).differences.join('\n');
    expect(text).toContain('type existing FloatVector, requested Float16Vector');
    expect(text).toContain(`open "${old.collection.name}" with colbertVectorType: "float32"`);
    const asOld = new MilvusStore({
      client: client!,
      collection: old.collection,
      colbertVectorType: 'float32',
    });
    await asOld.ensureCollection();
    const result = await asOld.query({
      embedding: record('a').embedding,
      signals: ['colbert'],
      topK: 2,
    });
    expect(result.hits.map((h) => h.id)).toContain('a');
  });

  it('holds a ColBERT-only collection (with Milvus’ required vector field as a stand-in)', async () => {
    const store = await openStore('colbertonly', { signals: ['colbert'] });
    await store.upsert([record('a', {}, 1), record('b', {}, 2), record('c', {}, 3)]);
    const result = await store.query({
      embedding: { colbert: record('b', {}, 2).embedding.colbert! },
      topK: 2,
    });
    expect(result.hits[0]?.id).toBe('b');
    expect(result.execution.colbert).toBe('client');
  });

  it('takes an IVF_FLAT dense index and declares dense as approximate', async () => {
    const store = await openStore(
      'ivf',
      {},
      { denseIndex: { type: 'IVF_FLAT', params: { nlist: 4 }, searchParams: { nprobe: 4 } } },
    );
    expect(store.capabilities.accuracy.dense).toEqual({ minRecallAt10: 0.9 });
    expect(store.capabilities.accuracy.sparse).toBe('exact');
    await store.upsert([record('a', {}, 1), record('b', {}, 2)]);
    const result = await store.query({
      embedding: record('a', {}, 1).embedding,
      signals: ['dense'],
      topK: 1,
    });
    expect(result.hits[0]?.id).toBe('a');
  });
});
