import { CollectionMismatchError } from '@m3kit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticStore } from './elastic-store.js';
import { testClient } from './test-client.int-helper.js';

const url = process.env.ES_URL;
if (!url) console.warn('SKIPPED: elasticsearch schema integration tests: ES_URL not set');
const client = url ? testClient(url) : undefined;
const settings = { number_of_shards: 1, number_of_replicas: 0 };
const name = (what: string): string => `m3es_${what}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;

describe.skipIf(!url)('elasticsearch: exists and describeCollection', () => {
  const created: ElasticStore[] = [];
  afterAll(async () => {
    for (const store of created) await store.drop();
  });

  it('a missing index: exists() is false, describeCollection() undefined, and nothing is created', async () => {
    const store = new ElasticStore({ client: client!, collection: { name: name('missing'), denseDimension: 8 } });
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
      metadataFields: [{ name: 'lang', type: 'keyword' as const }, { name: 'year', type: 'integer' as const }],
      model: 'BAAI/bge-m3',
    };
    const writer = new ElasticStore({ client: client!, collection: spec, indexSettings: settings });
    created.push(writer);
    expect(await writer.ensureCollection()).toEqual({ created: true });
    // Another machine: it knows the name only (the rest of its spec is a guess that is not used).
    const reader = new ElasticStore({ client: client!, collection: { name: spec.name, denseDimension: 1024 } });
    expect(await reader.exists()).toBe(true);
    expect(await reader.describeCollection()).toEqual({ ...spec, signals: ['dense', 'sparse'] });
  });

  it('records the model of a store that names one in an index created without it; a different model is a mismatch', async () => {
    const base = { name: name('model'), denseDimension: 8 };
    const first = new ElasticStore({ client: client!, collection: base, indexSettings: settings });
    created.push(first);
    await first.ensureCollection();
    expect((await first.describeCollection())?.model).toBeUndefined();
    const named = new ElasticStore({ client: client!, collection: { ...base, model: 'BAAI/bge-m3' } });
    expect(await named.ensureCollection()).toEqual({ created: false });
    expect((await first.describeCollection())?.model).toBe('BAAI/bge-m3');
    const other = new ElasticStore({ client: client!, collection: { ...base, model: 'someone/else' } });
    const error = await other.ensureCollection().catch((caught: unknown) => caught);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    expect((error as CollectionMismatchError).differences.join('\n')).toContain('model');
  });

  it('an index not made by m3kit: exists() is true, describeCollection() a CollectionMismatchError', async () => {
    const index = name('foreign');
    await client!.indices.create({ index, settings });
    const store = new ElasticStore({ client: client!, collection: { name: index, denseDimension: 8 } });
    created.push(store);
    expect(await store.exists()).toBe(true);
    const error = await store.describeCollection().catch((caught: unknown) => caught);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
  });
});
