import { colbertScores, type CollectionSpec } from '@m3kit/core';
import { serverFromEnv, syntheticCorpus, uniqueCollectionName } from '@m3kit/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { QdrantStoreOptions } from './options.js';
import { QdrantStore } from './qdrant-store.js';

// Compact ColBERT forms on a real server: the collection holds what the option says, and a
// ColBERT query still finds (nearly) what float32 MaxSim finds. Measured tables: bench/qdrant-colbert-compact.mjs.
const { address: url } = serverFromEnv('QDRANT_URL', 'qdrant compact ColBERT integration tests');

const DIMENSION = 64;
const corpus = syntheticCorpus({
  seed: 21,
  documents: 60,
  queries: 4,
  dimension: DIMENSION,
  colbertRows: [4, 24],
});

describe.skipIf(!url)(
  'compact ColBERT storage against a real Qdrant server',
  { timeout: 60_000 },
  () => {
    const made: QdrantStore[] = [];
    afterAll(async () => {
      for (const s of made) await s.drop().catch(() => undefined);
    });

    const cases: ReadonlyArray<{
      label: string;
      colbert: QdrantStoreOptions['colbert'];
      datatype?: string;
      quantization?: string;
    }> = [
      { label: 'float16 rows', colbert: { datatype: 'float16' }, datatype: 'float16' },
      { label: 'turbo4 rows', colbert: { datatype: 'turbo4' }, datatype: 'turbo4' },
      {
        label: 'binary copy scored as such',
        colbert: {
          quantization: { kind: 'binary', queryEncoding: 'scalar8bits' },
          score: 'quantized',
          onDisk: true,
        },
        quantization: 'binary',
      },
    ];

    for (const { label, colbert, datatype, quantization } of cases) {
      it(`${label}: created as asked, and ColBERT top-5 mostly agrees with float32 MaxSim`, async () => {
        const name = uniqueCollectionName('m3q_compact');
        const collection: CollectionSpec = {
          name,
          denseDimension: DIMENSION,
          signals: ['colbert'],
        };
        const store = new QdrantStore({ url: url!, collection, colbert });
        made.push(store);
        const features = await store.serverFeatures();
        if (datatype === 'turbo4' && !features.turbo) {
          await expect(store.ensureCollection()).rejects.toThrow(/TurboQuant needs Qdrant >= 1.19/);
          return;
        }
        await store.ensureCollection();
        const info = await store.client.getCollection(name);
        const params = (
          info.config.params.vectors as Record<
            string,
            { datatype?: string; quantization_config?: object }
          >
        )['colbert']!;
        if (datatype) expect(params.datatype).toBe(datatype);
        if (quantization)
          expect(Object.keys(params.quantization_config ?? {})).toEqual([quantization]);
        const records = corpus.records.map((r) => ({
          id: r.id,
          embedding: { colbert: r.embedding.colbert! },
        }));
        await store.upsert(records);
        let agreement = 0;
        for (const query of corpus.queries) {
          const scores = colbertScores(
            query.colbert!,
            records.map((r) => r.embedding.colbert),
          );
          const top = new Set(
            [...scores.keys()]
              .sort((a, b) => scores[b]! - scores[a]!)
              .slice(0, 5)
              .map((i) => records[i]!.id),
          );
          const result = await store.query({ embedding: { colbert: query.colbert! }, topK: 5 });
          agreement += result.hits.filter((hit) => top.has(hit.id)).length / 5;
        }
        expect(agreement / corpus.queries.length).toBeGreaterThanOrEqual(0.6);
        expect(store.capabilities.accuracy.colbert).not.toBe('exact');
      });
    }
  },
);
