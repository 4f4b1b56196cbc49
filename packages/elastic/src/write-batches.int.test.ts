import { InvalidInputError, type M3Record } from '@m3kit/core';
import { syntheticCorpus } from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElasticStore } from './elastic-store.js';
import { testClient } from './test-client.int-helper.js';

const url = process.env.ES_URL;
if (!url) console.warn('SKIPPED: elasticsearch write integration tests: ES_URL not set');
const client = url ? testClient(url) : undefined;

describe.skipIf(!url)('elasticsearch: per-record write failures and duplicate ids', () => {
  const records = syntheticCorpus({ documents: 6, queries: 1, dimension: 16, seed: 5 }).records as M3Record[];
  const spec = {
    name: `m3es_writes_${Date.now().toString(36)}`,
    denseDimension: 16,
    metadataFields: [{ name: 'lang', type: 'keyword' as const }, { name: 'year', type: 'integer' as const }],
  };
  let store: ElasticStore;

  beforeAll(async () => {
    store = new ElasticStore({ client: client!, collection: spec, indexSettings: { number_of_shards: 1, number_of_replicas: 0 } });
    await store.ensureCollection();
  }, 60_000);

  afterAll(async () => {
    await store?.drop();
  });

  it('fails only the bad records of a batch (long id, 1,000 metadata fields, type drift), each with its reason, and writes the rest', async () => {
    const [good, other] = records;
    const batch: M3Record[] = [
      { ...records[2]!, id: 'x'.repeat(600) },
      { ...records[3]!, metadata: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])) },
      { ...records[4]!, metadata: { year: 'twenty twenty' } },
      good!,
      other!,
    ];
    const report = await store.upsert(batch, { onFailure: 'report' });
    expect([...report.written].sort()).toEqual([good!.id, other!.id].sort());
    expect(report.failed).toHaveLength(3);
    for (const failure of report.failed) expect(InvalidInputError.isInstance(failure.error)).toBe(true);
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
