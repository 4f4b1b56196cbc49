import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document } from '@llamaindex/core/schema';
import { VectorStoreQueryMode } from '@llamaindex/core/vector-store';
import { ExactStore, filters } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { MilvusStore } from '@m3kit/milvus';
import { Settings, VectorStoreIndex, storageContextFromDefaults } from 'llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueCollectionName } from '@m3kit/core/testing';
import {
  LLAMAINDEX_METADATA_FIELDS,
  M3ColbertRerank,
  M3Embedding,
  M3VectorStore,
  type M3NodeScores,
} from './index.js';

// A small retrieval chain end to end on Milvus Lite: the bundled sample through VectorStoreIndex
// into MilvusStore, LlamaIndex's hybrid retriever, the ColBERT rerank reading the stored rows;
// hits and per-signal scores compared with the exact store holding the same nodes.
const address = process.env.MILVUS_ADDRESS;
if (!address)
  console.warn(
    'SKIPPED: @m3kit/llamaindex integration test: MILVUS_ADDRESS not set (e.g. MILVUS_ADDRESS=127.0.0.1:19530)',
  );

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
interface SampleLine {
  id: string;
  text: string;
  lang: string;
  tags: string[];
  year: number;
}
const SAMPLE: SampleLine[] = readFileSync(`${REPO_ROOT}examples/data/sample.jsonl`, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as SampleLine);
const collectionName = uniqueCollectionName('m3li');
const FIELDS = [
  { name: 'lang', type: 'keyword' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'year', type: 'integer' },
  ...LLAMAINDEX_METADATA_FIELDS,
] as const;

describe.skipIf(!address)('LlamaIndex retrieval on Milvus Lite', () => {
  let encoder: M3Encoder;
  let milvus: MilvusStore;
  let exact: ExactStore;
  let index: VectorStoreIndex;

  beforeAll(async () => {
    encoder = await M3Encoder.load(`${REPO_ROOT}fixtures/tiny-m3`);
    const embedModel = new M3Embedding({ encoder });
    Settings.embedModel = embedModel;
    const collection = {
      name: collectionName,
      denseDimension: encoder.denseDimension,
      metadataFields: FIELDS,
    };
    milvus = new MilvusStore({ address: address!, collection });
    exact = new ExactStore({ collection });
    const documents = () =>
      SAMPLE.map(({ id, text, ...metadata }) => new Document({ id_: id, text, metadata }));
    const build = async (store: MilvusStore | ExactStore) =>
      VectorStoreIndex.fromDocuments(documents(), {
        storageContext: await storageContextFromDefaults({
          vectorStore: new M3VectorStore({ store, embedModel }),
        }),
      });
    index = await build(milvus);
    await build(exact);
  });

  afterAll(async () => {
    await milvus?.drop().catch(() => undefined);
    await milvus?.close();
    await encoder?.close();
  });

  it('retrieves hybrid hits with dense and sparse scores, then reranks them by ColBERT', async () => {
    expect(await milvus.count()).toBe(SAMPLE.length);
    const question = 'Wie setze ich mein Passwort zurück?';
    const retrieved = await index
      .asRetriever({ similarityTopK: 5, mode: VectorStoreQueryMode.HYBRID })
      .retrieve(question);
    const [embedding] = await encoder.encode([question]);
    const truth = await exact.query({
      embedding: embedding!,
      topK: 5,
      signals: ['dense', 'sparse'],
      weights: { dense: 0.5, sparse: 0.5 },
    });
    expect(retrieved.map((n) => n.node.sourceNode?.nodeId)).toEqual(
      await Promise.all(
        truth.hits.map(async (h) => (await exact.get([h.id]))[0]!.metadata!['ref_doc_id']),
      ),
    );
    const tolerance = milvus.capabilities.scoreTolerance;
    retrieved.forEach((item, i) => {
      const scores = item.node.metadata['m3kit'] as M3NodeScores;
      for (const signal of ['dense', 'sparse'] as const) {
        const want = truth.hits[i]!.signalScores[signal]!;
        expect(Math.abs(scores.signalScores[signal]! - want)).toBeLessThanOrEqual(
          tolerance * Math.max(1, Math.abs(want)) + 1e-5,
        );
      }
    });

    const reranked = await new M3ColbertRerank({
      encoder,
      store: milvus,
      topN: 2,
    }).postprocessNodes(retrieved, question);
    expect(reranked).toHaveLength(2);
    expect(reranked[0]!.score).toBeGreaterThanOrEqual(reranked[1]!.score!);
    for (const item of reranked) {
      expect((item.node.metadata['m3kit'] as M3NodeScores).signalScores.colbert).toBe(item.score);
      expect(
        Object.keys((item.node.metadata['m3kit'] as M3NodeScores).signalScores).sort(),
      ).toEqual(['colbert', 'dense', 'sparse']);
    }
  });

  it('deleteRefDoc removes a document from Milvus', async () => {
    await index.deleteRefDoc('en-password');
    expect(await milvus.count(filters.eq('ref_doc_id', 'en-password'))).toBe(0);
    expect(await milvus.count()).toBe(SAMPLE.length - 1);
  });
});
