import {
  CollectionMismatchError,
  PartialWriteError,
  type CollectionSpec,
  type ScannedRecord,
} from '@m3kit/core';
import {
  SYNTHETIC_METADATA_FIELDS,
  serverFromEnv,
  syntheticCorpus,
  uniqueCollectionName,
} from '@m3kit/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { QdrantStore } from './qdrant-store.js';

// The contract sync relies on: exists(), describeCollection() from any machine, scan() in pages.
const { address: url } = serverFromEnv('QDRANT_URL', 'qdrant sync-contract integration tests');

const DIMENSION = 16;
const corpus = syntheticCorpus({
  seed: 5,
  documents: 45,
  queries: 1,
  dimension: DIMENSION,
  colbertRows: [2, 6],
});

function spec(label: string, overrides: Partial<CollectionSpec> = {}): CollectionSpec {
  return {
    name: uniqueCollectionName(`m3q_${label}`),
    denseDimension: DIMENSION,
    metadataFields: SYNTHETIC_METADATA_FIELDS,
    model: 'BAAI/bge-m3',
    ...overrides,
  };
}

async function collect(
  pages: AsyncIterable<readonly ScannedRecord[]>,
): Promise<{ ids: string[]; pages: number; records: ScannedRecord[] }> {
  const records: ScannedRecord[] = [];
  let count = 0;
  for await (const page of pages) {
    count++;
    records.push(...page);
  }
  return { ids: records.map((r) => r.id).sort(), pages: count, records };
}

describe.skipIf(!url)(
  'QdrantStore sync contract against a real Qdrant server',
  { timeout: 60_000 },
  () => {
    const made: QdrantStore[] = [];
    const store = (collection: CollectionSpec): QdrantStore => {
      const s = new QdrantStore({ url: url!, collection });
      made.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of made) await s.drop().catch(() => undefined);
    });

    it('says a missing collection does not exist and describes it as undefined, creating nothing', async () => {
      const missing = store(spec('missing'));
      expect(await missing.exists()).toBe(false);
      expect(await missing.describeCollection()).toBeUndefined();
      expect(await missing.exists()).toBe(false);
    });

    it('keeps the spec on the server: a store knowing only the name reopens it, model included', async () => {
      const collection = spec('describe', { storeText: false, signals: ['dense', 'sparse'] });
      await store(collection).ensureCollection();
      const fresh = store({ name: collection.name, denseDimension: 1 });
      expect(await fresh.exists()).toBe(true);
      const described = await fresh.describeCollection();
      expect(described).toEqual({
        name: collection.name,
        denseDimension: DIMENSION,
        signals: ['dense', 'sparse'],
        storeText: false,
        metadataFields: SYNTHETIC_METADATA_FIELDS,
        model: 'BAAI/bge-m3',
      });
      // The described spec opens the collection as it is.
      expect(await store(described!).ensureCollection()).toEqual({ created: false });
    });

    it('refuses to reopen a collection with another model, and records added fields', async () => {
      const collection = spec('model');
      await store(collection).ensureCollection();
      const error = await store({ ...collection, model: 'someone/else' })
        .ensureCollection()
        .catch((e: unknown) => e);
      expect(CollectionMismatchError.isInstance(error)).toBe(true);
      expect((error as CollectionMismatchError).differences.join('\n')).toContain('someone/else');
      const wider = {
        ...collection,
        model: undefined,
        metadataFields: [...SYNTHETIC_METADATA_FIELDS, { name: 'extra', type: 'keyword' as const }],
      };
      await store(wider).ensureCollection();
      const described = await store({
        name: collection.name,
        denseDimension: 1,
      }).describeCollection();
      expect(described?.metadataFields.map((f) => f.name)).toContain('extra');
      expect(described?.model).toBe('BAAI/bge-m3');
    });

    it('scans every record once by document id, in pages, with a filter', async () => {
      const collection = spec('scan');
      const s = store(collection);
      await s.ensureCollection();
      await s.upsert(corpus.records);
      const all = await collect(s.scan({ pageSize: 10 }));
      expect(all.ids).toEqual(corpus.records.map((r) => r.id).sort());
      expect(all.pages).toBe(5);
      const byId = new Map(corpus.records.map((r) => [r.id, r]));
      for (const record of all.records)
        expect(record.metadata).toEqual(byId.get(record.id)!.metadata);
      const english = await collect(s.scan({ filter: { op: 'eq', field: 'lang', value: 'en' } }));
      expect(english.ids).toEqual(
        corpus.records
          .filter((r) => r.metadata?.['lang'] === 'en')
          .map((r) => r.id)
          .sort(),
      );
      expect(english.ids.length).toBeGreaterThan(0);
      const controller = new AbortController();
      const pages = s.scan({ pageSize: 10, signal: controller.signal })[Symbol.asyncIterator]();
      await pages.next();
      controller.abort();
      await expect(pages.next()).rejects.toThrow(/abort/i);
    });

    it('fails a record whose declared field drifts from its type, alone, with the reason', async () => {
      const collection = spec('drift');
      const s = store(collection);
      await s.ensureCollection();
      const [good, bad] = corpus.records;
      const drifted = { ...bad!, metadata: { ...bad!.metadata, year: 'twenty twenty' } };
      const report = await s.upsert([good!, drifted], { onFailure: 'report' });
      expect(report.written).toEqual([good!.id]);
      expect(report.failed.map((f) => f.id)).toEqual([bad!.id]);
      expect(report.failed[0]!.error.message).toContain('"year" is declared integer');
      await expect(s.upsert([drifted])).rejects.toThrow(PartialWriteError);
      expect(await s.count()).toBe(1);
    });
  },
);
