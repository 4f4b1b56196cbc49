import { InvalidInputError, filters, type M3Record, type ScannedRecord } from '@m3kit/core';
import { SYNTHETIC_METADATA_FIELDS, syntheticCorpus } from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticStore } from './elastic-store.js';
import { testClient } from './test-client.int-helper.js';

const url = process.env.ES_URL;
if (!url) console.warn('SKIPPED: elasticsearch scan integration tests: ES_URL not set');
const client = url ? testClient(url) : undefined;
const settings = { number_of_shards: 2, number_of_replicas: 0 };

async function collect(pages: AsyncIterable<readonly ScannedRecord[]>): Promise<ScannedRecord[][]> {
  const all: ScannedRecord[][] = [];
  for await (const page of pages) all.push([...page]);
  return all;
}

describe.skipIf(!url)('elasticsearch: scan', () => {
  const corpus = syntheticCorpus({ documents: 57, queries: 1, dimension: 16, seed: 11 });
  const records = corpus.records as M3Record[];
  const spec = { name: `m3es_scan_${Date.now().toString(36)}`, denseDimension: 16, metadataFields: SYNTHETIC_METADATA_FIELDS };
  let store: ElasticStore;

  beforeAll(async () => {
    store = new ElasticStore({ client: client!, collection: spec, indexSettings: settings });
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
    await expect(collect(store.scan({ pageSize: 0 }))).rejects.toSatisfy(InvalidInputError.isInstance);
    await expect(collect(store.scan({ filter: { op: 'in', field: 'lang', values: [] } as never }))).rejects.toSatisfy(InvalidInputError.isInstance);
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
