import {
  CollectionMismatchError,
  InvalidInputError,
  filters,
  type M3Record,
  type ScannedRecord,
} from '@m3kit/core';
import {
  SYNTHETIC_METADATA_FIELDS,
  serverFromEnv,
  syntheticCorpus,
  uniqueCollectionName,
} from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticStore } from './elastic-store.js';
import { testClient } from './test-client.int-helper.js';

// The store contract's sync pieces (exists, describeCollection, scan) and per-record input
// problems, against the real server (the same file in every adapter).
const url = serverFromEnv('ES_URL', 'elasticsearch sync integration tests').address;
const client = url ? testClient(url) : undefined;
const settings = { number_of_shards: 1, number_of_replicas: 0 };
const name = (what: string): string => uniqueCollectionName(`m3es_${what}`);

describe.skipIf(!url)('elasticsearch: exists and describeCollection', () => {
  const created: ElasticStore[] = [];
  afterAll(async () => {
    for (const store of created) await store.drop();
  });

  it('a missing index: exists() is false, describeCollection() undefined, and nothing is created', async () => {
    const store = new ElasticStore({
      client: client!,
      collection: { name: name('missing'), denseDimension: 8 },
    });
    expect(await store.exists()).toBe(false);
    expect(await store.describeCollection()).toBeUndefined();
    expect(await client!.indices.exists({ index: store.collection.name })).toBe(false);
  });

  it('reopens a collection from its name alone: the spec, model included, comes from the mapping', async () => {
    const spec = {
      name: name('described'),
      denseDimension: 16,
      signals: ['dense', 'sparse'] as const,
      storeText: false,
      metadataFields: [
        { name: 'lang', type: 'keyword' as const },
        { name: 'year', type: 'integer' as const },
      ],
      model: 'BAAI/bge-m3',
    };
    const writer = new ElasticStore({ client: client!, collection: spec, indexSettings: settings });
    created.push(writer);
    expect(await writer.ensureCollection()).toEqual({ created: true });
    // Another machine: it knows the name only (the rest of its spec is a guess that is not used).
    const reader = new ElasticStore({
      client: client!,
      collection: { name: spec.name, denseDimension: 1024 },
    });
    expect(await reader.exists()).toBe(true);
    expect(await reader.describeCollection()).toEqual({ ...spec, signals: ['dense', 'sparse'] });
  });

  it('records the model of a store that names one in an index created without it; a different model is a mismatch', async () => {
    const base = { name: name('model'), denseDimension: 8 };
    const first = new ElasticStore({ client: client!, collection: base, indexSettings: settings });
    created.push(first);
    await first.ensureCollection();
    expect((await first.describeCollection())?.model).toBeUndefined();
    const named = new ElasticStore({
      client: client!,
      collection: { ...base, model: 'BAAI/bge-m3' },
    });
    expect(await named.ensureCollection()).toEqual({ created: false });
    expect((await first.describeCollection())?.model).toBe('BAAI/bge-m3');
    const other = new ElasticStore({
      client: client!,
      collection: { ...base, model: 'someone/else' },
    });
    const error = await other.ensureCollection().catch((caught: unknown) => caught);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    expect((error as CollectionMismatchError).differences.join('\n')).toContain('model');
  });

  it('an index not made by m3kit: exists() is true, describeCollection() a CollectionMismatchError', async () => {
    const index = name('foreign');
    await client!.indices.create({ index, settings });
    const store = new ElasticStore({
      client: client!,
      collection: { name: index, denseDimension: 8 },
    });
    created.push(store);
    expect(await store.exists()).toBe(true);
    const error = await store.describeCollection().catch((caught: unknown) => caught);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
  });
});

async function collect(pages: AsyncIterable<readonly ScannedRecord[]>): Promise<ScannedRecord[][]> {
  const all: ScannedRecord[][] = [];
  for await (const page of pages) all.push([...page]);
  return all;
}

describe.skipIf(!url)('elasticsearch: scan', () => {
  const corpus = syntheticCorpus({ documents: 57, queries: 1, dimension: 16, seed: 11 });
  const records = corpus.records as M3Record[];
  const spec = {
    name: name('scan'),
    denseDimension: 16,
    metadataFields: SYNTHETIC_METADATA_FIELDS,
  };
  let store: ElasticStore;

  beforeAll(async () => {
    store = new ElasticStore({
      client: client!,
      collection: spec,
      indexSettings: { number_of_shards: 2, number_of_replicas: 0 },
    });
    await store.ensureCollection();
    await store.upsert(records);
  }, 120_000);

  afterAll(async () => {
    await store?.drop();
  });

  it('yields every id once with its metadata, in pages of the size asked', async () => {
    const pages = await collect(store.scan({ pageSize: 10 }));
    expect(pages.map((page) => page.length)).toEqual([10, 10, 10, 10, 10, 7]);
    const scanned = pages.flat();
    expect(new Set(scanned.map((record) => record.id)).size).toBe(records.length);
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const record of scanned) expect(record.metadata).toEqual(byId.get(record.id)!.metadata);
  });

  it('keeps to the filter, as count() does', async () => {
    const filter = filters.eq('lang', 'en');
    const scanned = (await collect(store.scan({ filter, pageSize: 4 }))).flat();
    expect(scanned.length).toBe(await store.count(filter));
    expect(scanned.length).toBeGreaterThan(0);
    for (const record of scanned) expect(record.metadata?.lang).toBe('en');
  });

  it('reads a snapshot: ids written and deleted between pages neither repeat nor vanish', async () => {
    const pages: ScannedRecord[][] = [];
    const extra = { ...records[0]!, id: '~added-during-scan' };
    let wrote = false;
    for await (const page of store.scan({ pageSize: 20 })) {
      pages.push([...page]);
      if (!wrote) {
        wrote = true;
        await store.upsert([extra]);
        await store.delete([pages[0]![0]!.id]);
      }
    }
    const ids = pages.flat().map((record) => record.id);
    expect(ids.length).toBe(records.length);
    expect(new Set(ids).size).toBe(records.length);
    expect(ids).not.toContain(extra.id);
    await store.upsert([records.find((record) => record.id === pages[0]![0]!.id)!]);
    await store.delete([extra.id]);
  });

  it('refuses a bad page size or filter with an InvalidInputError, and stops on abort', async () => {
    await expect(collect(store.scan({ pageSize: 0 }))).rejects.toSatisfy(
      InvalidInputError.isInstance,
    );
    await expect(
      collect(store.scan({ filter: { op: 'in', field: 'lang', values: [] } as never })),
    ).rejects.toSatisfy(InvalidInputError.isInstance);
    const controller = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const page of store.scan({ pageSize: 5, signal: controller.signal })) {
        seen.push(page.length);
        controller.abort();
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toEqual([5]);
  });
});

describe.skipIf(!url)('elasticsearch: per-record write failures and duplicate ids', () => {
  const records = syntheticCorpus({ documents: 6, queries: 1, dimension: 16, seed: 5 })
    .records as M3Record[];
  const spec = {
    name: name('writes'),
    denseDimension: 16,
    metadataFields: [
      { name: 'lang', type: 'keyword' as const },
      { name: 'year', type: 'integer' as const },
    ],
  };
  let store: ElasticStore;

  beforeAll(async () => {
    store = new ElasticStore({ client: client!, collection: spec, indexSettings: settings });
    await store.ensureCollection();
  }, 60_000);

  afterAll(async () => {
    await store?.drop();
  });

  it('fails only the bad records of a batch (long id, 1,000 metadata fields, type drift), each with its reason, and writes the rest', async () => {
    const [good, other] = records;
    const batch: M3Record[] = [
      { ...records[2]!, id: 'x'.repeat(600) },
      {
        ...records[3]!,
        metadata: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])),
      },
      { ...records[4]!, metadata: { year: 'twenty twenty' } },
      good!,
      other!,
    ];
    const report = await store.upsert(batch, { onFailure: 'report' });
    expect([...report.written].sort()).toEqual([good!.id, other!.id].sort());
    expect(report.failed).toHaveLength(3);
    for (const failure of report.failed)
      expect(InvalidInputError.isInstance(failure.error)).toBe(true);
    expect(await store.count()).toBe(2);
  });

  it('writes an id given twice once, with the last version', async () => {
    const first = { ...records[0]!, id: 'twice', text: 'first version' };
    const last = { ...records[1]!, id: 'twice', text: 'last version' };
    const report = await store.upsert([first, last]);
    expect(report.written).toEqual(['twice']);
    const [stored] = await store.get(['twice']);
    expect(stored?.text).toBe('last version');
  });
});
