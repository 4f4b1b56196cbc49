import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { RunnableLambda, RunnableSequence } from '@langchain/core/runnables';
import { ExactStore, SYNC_METADATA_FIELDS, filters, type M3Document } from '@m3kit/core';
import { MilvusStore } from '@m3kit/milvus';
import { M3Encoder } from '@m3kit/encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueCollectionName, jsonlDocuments } from '@m3kit/core/testing';
import { M3Embeddings, M3VectorStore, type M3HitScores } from './index.js';

// A small retrieval chain end to end on a real Milvus Lite: the bundled multilingual sample in
// through M3VectorStore, a hybrid retriever in a LangChain runnable sequence, hits and their
// per-signal scores compared with the exact store holding the same documents.
const address = process.env.MILVUS_ADDRESS;
if (!address)
  console.warn(
    'SKIPPED: @m3kit/langchain integration test: MILVUS_ADDRESS not set (e.g. MILVUS_ADDRESS=127.0.0.1:19530)',
  );

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAMPLE: M3Document[] = jsonlDocuments(
  readFileSync(`${REPO_ROOT}examples/data/sample.jsonl`, 'utf8'),
);
/** A fresh collection per run, so parallel runs never collide. */
const collectionName = uniqueCollectionName('m3lc');
const FIELDS = [
  { name: 'lang', type: 'keyword' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'year', type: 'integer' },
  ...SYNC_METADATA_FIELDS,
] as const;

describe.skipIf(!address)('LangChain retrieval chain on Milvus Lite', () => {
  let encoder: M3Encoder;
  let embeddings: M3Embeddings;
  let milvus: MilvusStore;
  let exact: ExactStore;
  let vectorStore: M3VectorStore;

  beforeAll(async () => {
    encoder = await M3Encoder.load(`${REPO_ROOT}fixtures/tiny-m3`);
    embeddings = new M3Embeddings({ encoder });
    const collection = {
      name: collectionName,
      denseDimension: encoder.denseDimension,
      metadataFields: FIELDS,
    };
    milvus = new MilvusStore({ address: address!, collection });
    exact = new ExactStore({ collection });
    const documents = SAMPLE.map(
      (d) => new Document({ id: d.id, pageContent: d.text!, metadata: { ...d.metadata } }),
    );
    vectorStore = await M3VectorStore.fromDocuments(documents, embeddings, { store: milvus });
    await M3VectorStore.fromDocuments(documents, embeddings, { store: exact });
  });

  afterAll(async () => {
    await milvus?.drop().catch(() => undefined);
    await milvus?.close();
    await encoder?.close();
  });

  it('ingests the sample and retrieves hybrid hits with per-signal scores through a chain', async () => {
    expect(await milvus.count()).toBe(SAMPLE.length);
    const retriever = vectorStore.asRetriever({
      k: 3,
      fusion: { kind: 'weighted' },
      filter: { tags: 'faq' },
    });
    const chain = RunnableSequence.from([
      retriever,
      RunnableLambda.from((documents: Document[]) =>
        documents.map((d) => ({
          id: d.id,
          text: d.pageContent,
          scores: d.metadata['m3kit'] as M3HitScores,
        })),
      ),
    ]);
    const question = 'How do I reset my password?';
    const context = await chain.invoke(question);

    const [embedding] = await encoder.encode([question]);
    const truth = await exact.query({
      embedding: embedding!,
      topK: 3,
      filter: filters.eq('tags', 'faq'),
    });
    expect(context.map((c) => c.id)).toEqual(truth.hits.map((h) => h.id));
    const tolerance = milvus.capabilities.scoreTolerance;
    context.forEach((c, i) => {
      const expected = truth.hits[i]!;
      expect(c.text).toBe(expected.text);
      expect(Object.keys(c.scores.signalScores).sort()).toEqual(['colbert', 'dense', 'sparse']);
      for (const signal of ['dense', 'sparse', 'colbert'] as const) {
        const want = expected.signalScores[signal]!;
        expect(Math.abs(c.scores.signalScores[signal]! - want)).toBeLessThanOrEqual(
          tolerance * Math.max(1, Math.abs(want)) + 1e-6,
        );
      }
    });
  });

  it('deletes a document by the id it was added with', async () => {
    await vectorStore.delete({ ids: ['en-password'] });
    expect(await milvus.count(filters.eq('m3_document_id', 'en-password'))).toBe(0);
    expect(await milvus.count()).toBe(SAMPLE.length - 1);
    const hits = await vectorStore.similaritySearch('reset password', 30);
    expect(hits.map((d) => String(d.id).split('#')[0])).not.toContain('en-password');
  });
});
