import {
  InvalidInputError,
  RECORD_LIMITS,
  filters as f,
  lexicalFromPairs,
  type CollectionSpec,
  type M3Record,
} from '@m3kit/core';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueCollectionName } from '@m3kit/core/testing';
import { MilvusStore } from './milvus-store.js';

// The store contract's sync pieces (exists, describeCollection, scan) and per-record input
// problems, against the real server.
const address = process.env['MILVUS_ADDRESS'];
if (!address) console.warn('SKIPPED: milvus sync integration tests: MILVUS_ADDRESS not set');

const DIMENSION = 4;
const client = address
  ? new MilvusClient({ address, token: process.env['MILVUS_TOKEN'] ?? '', logLevel: 'error' })
  : undefined;
const stores: MilvusStore[] = [];

function storeFor(spec: CollectionSpec): MilvusStore {
  const store = new MilvusStore({ client: client!, collection: spec });
  stores.push(store);
  return store;
}

function record(id: string, metadata: M3Record['metadata'], seed = 1, rows = 2): M3Record {
  const dense = Float32Array.from({ length: DIMENSION }, (_, i) => Math.sin(seed + i));
  const norm = Math.hypot(...dense);
  return {
    id,
    text: `text of ${id}`,
    ...(metadata !== undefined ? { metadata } : {}),
    embedding: {
      dense: dense.map((v) => v / norm),
      lexical: lexicalFromPairs([[seed + 4, 0.5]]),
      colbert: { data: new Float32Array(rows * DIMENSION).fill(0.5), rows, dim: DIMENSION },
    },
  };
}

afterAll(async () => {
  for (const store of stores) await store.drop().catch(() => undefined);
  await client?.closeConnection();
});

describe.skipIf(!address)('exists and describeCollection', () => {
  it('a missing collection does not exist and has no spec; asking creates nothing', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_missing'),
      denseDimension: DIMENSION,
    });
    expect(await store.exists()).toBe(false);
    expect(await store.describeCollection()).toBeUndefined();
    const names = (await client!.listCollections()).data.map((c) => c.name);
    expect(names).not.toContain(store.collection.name);
    expect(names).not.toContain(`${store.collection.name}__colbert`);
  });

  it('any store that knows only the name reads back the full spec, model included, and can reopen it', async () => {
    const spec: CollectionSpec = {
      name: uniqueCollectionName('m3mv_described'),
      denseDimension: DIMENSION,
      signals: ['dense', 'colbert'],
      storeText: false,
      metadataFields: [
        { name: 'lang', type: 'keyword' },
        { name: 'year', type: 'integer' },
      ],
      model: 'BAAI/bge-m3',
    };
    const writer = storeFor(spec);
    await writer.ensureCollection();
    expect(await writer.exists()).toBe(true);
    const reader = storeFor({ name: spec.name, denseDimension: 1 });
    const described = await reader.describeCollection();
    expect(described).toEqual({ ...spec, signals: ['dense', 'colbert'] });
    const reopened = storeFor(described!);
    expect(await reopened.ensureCollection()).toEqual({ created: false });
  });

  it('an existing collection with another model is a mismatch; one made without a model takes any', async () => {
    const name = uniqueCollectionName('m3mv_model');
    await storeFor({ name, denseDimension: DIMENSION, model: 'model-a' }).ensureCollection();
    const error = await storeFor({ name, denseDimension: DIMENSION, model: 'model-b' })
      .ensureCollection()
      .catch((e: unknown) => e);
    expect((error as { differences?: string[] }).differences).toEqual([
      'model: existing model-a, requested model-b',
    ]);
    const bare = uniqueCollectionName('m3mv_nomodel');
    await storeFor({ name: bare, denseDimension: DIMENSION }).ensureCollection();
    expect(
      await storeFor({
        name: bare,
        denseDimension: DIMENSION,
        model: 'model-b',
      }).ensureCollection(),
    ).toEqual({ created: false });
  });
});

describe.skipIf(!address)('scan', () => {
  it('yields every document once, in pages, with metadata; the ColBERT rows are not documents', async () => {
    const store = storeFor({ name: uniqueCollectionName('m3mv_scan'), denseDimension: DIMENSION });
    await store.ensureCollection();
    const records = Array.from({ length: 57 }, (_, i) =>
      record(`doc-${i}`, i % 3 === 0 ? undefined : { n: i, lang: i % 2 ? 'en' : 'de' }, i, 3),
    );
    await store.upsert(records);
    const pages: number[] = [];
    const seen = new Map<string, unknown>();
    for await (const page of store.scan({ pageSize: 10 })) {
      pages.push(page.length);
      for (const item of page) {
        expect(seen.has(item.id)).toBe(false);
        seen.set(item.id, item.metadata);
      }
    }
    expect(pages).toEqual([10, 10, 10, 10, 10, 7]);
    expect([...seen.keys()].sort()).toEqual(records.map((r) => r.id).sort());
    for (const r of records) expect(seen.get(r.id)).toEqual(r.metadata);
  });

  it('scans by filter, validates the filter and page size, and stops when aborted', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_scanfilter'),
      denseDimension: DIMENSION,
    });
    await store.ensureCollection();
    await store.upsert(
      Array.from({ length: 20 }, (_, i) => record(`d${i}`, { n: i, lang: i < 5 ? 'en' : 'de' }, i)),
    );
    const ids: string[] = [];
    for await (const page of store.scan({
      filter: f.and(f.eq('lang', 'en'), f.range('n', { gte: 2 })),
    }))
      ids.push(...page.map((r) => r.id));
    expect(ids.sort()).toEqual(['d2', 'd3', 'd4']);
    const drain = async (options: Parameters<MilvusStore['scan']>[0]): Promise<unknown> => {
      try {
        for await (const page of store.scan(options)) void page;
        return undefined;
      } catch (error) {
        return error;
      }
    };
    expect(InvalidInputError.isInstance(await drain({ pageSize: 0 }))).toBe(true);
    expect(
      InvalidInputError.isInstance(
        await drain({ filter: { op: 'eq', field: 'bad name', value: 1 } as never }),
      ),
    ).toBe(true);
    const controller = new AbortController();
    const pages: number[] = [];
    const aborted = await (async () => {
      try {
        for await (const page of store.scan({ pageSize: 5, signal: controller.signal })) {
          pages.push(page.length);
          controller.abort();
        }
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect((aborted as Error).name).toBe('AbortedError');
    expect(pages).toEqual([5]);
  });

  it('pages over more documents than one key range holds (key-prefix ranges, each id once)', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_scanranges'),
      denseDimension: 2,
      signals: ['dense'],
      storeText: false,
    });
    await store.ensureCollection();
    const total = 4_500;
    const records = Array.from({ length: total }, (_, i) => ({
      id: `r${i}`,
      metadata: { i },
      embedding: { dense: Float32Array.from([Math.cos(i), Math.sin(i)]) },
    }));
    await store.upsert(records);
    const seen = new Set<string>();
    let duplicates = 0;
    for await (const page of store.scan({ pageSize: 1_000 })) {
      for (const item of page) {
        if (seen.has(item.id)) duplicates++;
        seen.add(item.id);
      }
    }
    expect(duplicates).toBe(0);
    expect(seen.size).toBe(total);
  }, 180_000);
});

describe.skipIf(!address)('per-record input problems fail that record alone, with a reason', () => {
  it('a long id, too many metadata fields and a value of another type than its declared field', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_inputs'),
      denseDimension: DIMENSION,
      metadataFields: [
        { name: 'year', type: 'integer' },
        { name: 'lang', type: 'keyword' },
        { name: 'tags', type: 'keyword[]' },
      ],
    });
    await store.ensureCollection();
    const many = Object.fromEntries(
      Array.from({ length: RECORD_LIMITS.metadataFields + 1 }, (_, i) => [`f${i}`, i]),
    );
    const report = await store.upsert(
      [
        record('good', { year: 2020, lang: 'en', tags: ['a'] }, 1),
        record('x'.repeat(RECORD_LIMITS.idBytes + 1), {}, 2),
        record('many', many, 3),
        record('drift', { year: '2021' }, 4),
        record('drift2', { lang: 5 }, 5),
        record('tag', { tags: 'one', year: null }, 6),
      ],
      { onFailure: 'report' },
    );
    expect([...report.written].sort()).toEqual(['good', 'tag']);
    const reasons = new Map(
      report.failed.map((failure) => [failure.id.slice(0, 8), failure.error.message]),
    );
    expect(reasons.get('x'.repeat(8))).toMatch(/longer than 512 bytes/);
    expect(reasons.get('many')).toMatch(/more than 256 fields/);
    expect(reasons.get('drift')).toMatch(/"year" is declared integer, got the string "2021"/);
    expect(reasons.get('drift2')).toMatch(/"lang" is declared keyword, got number 5/);
    expect(await store.count()).toBe(2);
    expect(await store.count(f.range('year', { gte: 2000 }))).toBe(1);
  });
});

describe.skipIf(!address)('duplicate ids within one upsert', () => {
  it('the last occurrence wins alone: reported once, never mixed with an earlier copy', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_dupes'),
      denseDimension: DIMENSION,
      metadataFields: [{ name: 'year', type: 'integer' }],
    });
    await store.ensureCollection();
    const report = await store.upsert(
      [
        record('a', { v: 1 }, 1, 5),
        record('b', { v: 1 }, 2),
        record('a', { v: 2 }, 3, 2),
        record('b', { year: 'bad' }, 4),
      ],
      { onFailure: 'report' },
    );
    // Every id in exactly one list, once.
    expect(report.written).toEqual(['a']);
    expect(report.failed.map((failure) => failure.id)).toEqual(['b']);
    const [a] = await store.get(['a'], { includeEmbedding: true });
    expect(a?.metadata).toEqual({ v: 2 });
    expect(a?.embedding?.colbert?.rows).toBe(2);
    expect(await store.get(['b'])).toEqual([]);
  });

  it('a delete reports a bad id alone and deletes the others', async () => {
    const store = storeFor({
      name: uniqueCollectionName('m3mv_deletes'),
      denseDimension: DIMENSION,
    });
    await store.ensureCollection();
    await store.upsert([record('a', {}), record('b', {})]);
    const report = await store.delete(['a', 'x'.repeat(RECORD_LIMITS.idBytes + 1), 'a'], {
      onFailure: 'report',
    });
    expect(report.written).toEqual(['a']);
    expect(report.failed).toHaveLength(1);
    expect((await store.get(['a', 'b'])).map((r) => r.id)).toEqual(['b']);
  });
});
