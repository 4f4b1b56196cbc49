import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { BaseRetriever } from '@langchain/core/retrievers';
import { VectorStore } from '@langchain/core/vectorstores';
import {
  ExactStore,
  InvalidInputError,
  UnsupportedError,
  filters,
  type M3Document,
} from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { M3Embeddings, M3Retriever, M3VectorStore, type M3HitScores } from './index.js';

// The real @langchain/core classes, the exact store and the tiny model (fixtures/tiny-m3: the
// XLM-R tokenizer, 32-dimensional outputs).
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TINY_MODEL = `${REPO_ROOT}fixtures/tiny-m3`;
const SAMPLE: M3Document[] = readFileSync(`${REPO_ROOT}examples/data/sample.jsonl`, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const { id, text, ...metadata } = JSON.parse(line) as { id: string; text: string } & Record<
      string,
      unknown
    >;
    return { id, text, metadata: metadata as M3Document['metadata'] };
  });
const SAMPLE_FIELDS = [
  { name: 'lang', type: 'keyword' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'year', type: 'integer' },
] as const;

let encoder: M3Encoder;
let embeddings: M3Embeddings;

beforeAll(async () => {
  encoder = await M3Encoder.load(TINY_MODEL);
  embeddings = new M3Embeddings({ encoder });
});
afterAll(async () => {
  await encoder?.close();
});

/** The document id of a chunk id `docId#fingerprint#n`. */
function documentIdOf(chunkId: string | undefined): string {
  return String(chunkId).split('#')[0]!;
}

async function firstChunk(
  store: ExactStore,
  documentId: string,
): Promise<{ id: string; metadata?: Record<string, unknown> } | undefined> {
  for await (const page of store.scan({
    filter: filters.and(filters.eq('m3_document_id', documentId), filters.eq('m3_chunk', 0)),
  }))
    return page[0];
  return undefined;
}

function newStore(name = 'lc_test'): ExactStore {
  return new ExactStore({
    collection: { name, denseDimension: encoder.denseDimension, metadataFields: SAMPLE_FIELDS },
  });
}

function sampleDocuments(): Document[] {
  return SAMPLE.map(
    (d) => new Document({ id: d.id, pageContent: d.text!, metadata: { ...d.metadata } }),
  );
}

function scoresOf(document: { metadata: Record<string, unknown> }): M3HitScores {
  return document.metadata['m3kit'] as M3HitScores;
}

describe('M3Embeddings', () => {
  it('returns the encoder dense vectors as number arrays', async () => {
    const vectors = await embeddings.embedDocuments(['password reset', 'Versand']);
    const [direct] = await encoder.encode(['Versand'], { sparse: false, colbert: false });
    expect(vectors).toHaveLength(2);
    expect(vectors[1]).toEqual(Array.from(direct!.dense!));
    expect(Math.hypot(...vectors[0]!)).toBeCloseTo(1, 5);
    expect(await embeddings.embedQuery('Versand')).toEqual(vectors[1]);
    expect(await embeddings.embedDocuments([])).toEqual([]);
  });
});

describe('M3VectorStore over the exact store', () => {
  let vectorStore: M3VectorStore;
  let store: ExactStore;

  beforeAll(async () => {
    store = newStore();
    vectorStore = await M3VectorStore.fromDocuments(sampleDocuments(), embeddings, { store });
  });

  it('is a LangChain VectorStore and ingests every sample document as chunks id#n', async () => {
    expect(vectorStore).toBeInstanceOf(VectorStore);
    expect(await store.count()).toBe(SAMPLE.length);
    const record = await firstChunk(store, 'en-password');
    expect(record?.id).toMatch(/^en-password#[0-9a-f]{16}#0$/);
    expect(record?.metadata).toMatchObject({
      lang: 'en',
      m3_document_id: 'en-password',
      m3_chunk: 0,
    });
  });

  it('answers a text search with the hybrid query, per-signal scores in metadata.m3kit', async () => {
    const results = await vectorStore.similaritySearchWithScore('How do I reset my password?', 3);
    const [question] = await encoder.encode(['How do I reset my password?']);
    const truth = await store.query({ embedding: question!, topK: 3 });
    expect(results.map(([d]) => d.id)).toEqual(truth.hits.map((h) => h.id));
    for (const [document, score] of results) {
      const { signalScores } = scoresOf(document);
      expect(Object.keys(signalScores).sort()).toEqual(['colbert', 'dense', 'sparse']);
      // weighted fusion is compute_score: 0.4 dense + 0.2 sparse + 0.4 ColBERT
      expect(score).toBeCloseTo(
        0.4 * signalScores.dense! + 0.2 * signalScores.sparse! + 0.4 * signalScores.colbert!,
        5,
      );
      expect(document.pageContent).toBe(
        SAMPLE.find((d) => d.id === documentIdOf(document.id))!.text,
      );
    }
  });

  it('searches by vector on the dense signal alone', async () => {
    const vector = await embeddings.embedQuery('Lieferung');
    const results = await vectorStore.similaritySearchVectorWithScore(vector, 2);
    expect(results).toHaveLength(2);
    expect(Object.keys(scoresOf(results[0]![0]).signalScores)).toEqual(['dense']);
    expect(results[0]![1]).toBeGreaterThanOrEqual(results[1]![1]);
  });

  it('filters with LangChain filter objects and with core filters alike', async () => {
    const mongo = await vectorStore.similaritySearch('refund', 30, {
      lang: 'en',
      year: { $gte: 2022 },
    });
    const core = await vectorStore.similaritySearch(
      'refund',
      30,
      filters.and(filters.eq('lang', 'en'), filters.range('year', { gte: 2022 })),
    );
    const expected = SAMPLE.filter(
      (d) => d.metadata?.['lang'] === 'en' && (d.metadata?.['year'] as number) >= 2022,
    ).map((d) => d.id);
    expect(mongo.map((d) => documentIdOf(d.id)).sort()).toEqual(expected.sort());
    expect(core.map((d) => d.id)).toEqual(mongo.map((d) => d.id));
    await expect(
      vectorStore.similaritySearch('refund', 3, { lang: { $like: 'e%' } } as never),
    ).rejects.toThrow(/unknown field operator \$like/);
  });

  it('asRetriever() returns a BaseRetriever running the hybrid query with its options', async () => {
    const retriever = vectorStore.asRetriever({
      k: 4,
      fusion: { kind: 'rrf', k: 60 },
      signals: ['dense', 'sparse'],
      filter: { tags: 'faq' },
    });
    expect(retriever).toBeInstanceOf(BaseRetriever);
    expect(retriever).toBeInstanceOf(M3Retriever);
    const documents = await retriever.invoke('Wie lange dauert der Versand?');
    const [question] = await encoder.encode(['Wie lange dauert der Versand?'], { colbert: false });
    const truth = await store.query({
      embedding: question!,
      signals: ['dense', 'sparse'],
      fusion: { kind: 'rrf', k: 60 },
      topK: 4,
      filter: filters.eq('tags', 'faq'),
    });
    expect(documents.map((d) => d.id)).toEqual(truth.hits.map((h) => h.id));
    expect(documents.map((d) => scoresOf(d).score)).toEqual(truth.hits.map((h) => h.score));
    for (const document of documents) {
      expect(document.metadata['tags']).toContain('faq');
      expect(Object.keys(scoresOf(document).signalScores).sort()).toEqual(['dense', 'sparse']);
    }
    expect(await vectorStore.asRetriever(2).invoke('refund')).toHaveLength(2);
  });

  it('refuses an MMR retriever rather than silently ranking otherwise', () => {
    expect(() => new M3Retriever({ vectorStore, searchType: 'mmr' } as never)).toThrow(
      InvalidInputError,
    );
  });
});

describe('M3VectorStore writes', () => {
  it('re-adding documents keeps one copy; ids default to a content hash', async () => {
    const store = newStore();
    const vectorStore = new M3VectorStore(embeddings, { store });
    const docs = [
      new Document({
        pageContent: 'Bonjour tout le monde',
        metadata: { lang: 'fr', loc: { lines: { from: 1, to: 1 } } },
      }),
    ];
    const first = await vectorStore.addDocuments(docs);
    const second = await vectorStore.addDocuments(docs);
    expect(second).toEqual(first);
    expect(first[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.count()).toBe(1);
    const record = await firstChunk(store, first[0]!);
    expect(record?.metadata).toMatchObject({ lang: 'fr', loc_lines_from: 1, loc_lines_to: 1 });
    expect(
      await vectorStore.addDocuments([new Document({ pageContent: 'x' })], { ids: ['mine'] }),
    ).toEqual(['mine']);
  });

  it('chunks long documents as m3 ingest does and deletes every chunk by document id', async () => {
    const store = newStore();
    const vectorStore = new M3VectorStore(embeddings, {
      store,
      chunking: { maxTokens: 16, overlap: 2 },
    });
    const long = SAMPLE.slice(0, 3)
      .map((d) => d.text)
      .join(' ');
    await vectorStore.addDocuments([
      new Document({ id: 'long', pageContent: long }),
      new Document({ id: 'short', pageContent: 'Hallo' }),
    ]);
    const chunks = await store.count(filters.eq('m3_document_id', 'long'));
    expect(chunks).toBeGreaterThan(3);
    await vectorStore.delete({ ids: ['long'] });
    expect(await store.count(filters.eq('m3_document_id', 'long'))).toBe(0);
    expect(await store.count()).toBe(1);
  });

  it('deletes by filter', async () => {
    const store = newStore();
    const vectorStore = await M3VectorStore.fromDocuments(sampleDocuments(), embeddings, { store });
    const german = await store.count(filters.eq('lang', 'de'));
    expect(german).toBeGreaterThan(0);
    await vectorStore.delete({ filter: { lang: 'de' } });
    expect(await store.count(filters.eq('lang', 'de'))).toBe(0);
    expect(await store.count()).toBe(SAMPLE.length - german);
    await expect(vectorStore.delete({})).rejects.toThrow(/ids or a filter/);
  });

  it('fromTexts takes one metadata object or one per text', async () => {
    const store = newStore();
    await M3VectorStore.fromTexts(['eins', 'zwei'], { lang: 'de' }, embeddings, { store });
    expect(await store.count(filters.eq('lang', 'de'))).toBe(2);
    const other = newStore();
    await M3VectorStore.fromTexts(['one', 'deux'], [{ lang: 'en' }, { lang: 'fr' }], embeddings, {
      store: other,
    });
    expect(await other.count(filters.eq('lang', 'fr'))).toBe(1);
  });

  it('fromExistingIndex opens a collection that exists and refuses one that does not', async () => {
    const store = newStore();
    await expect(M3VectorStore.fromExistingIndex(embeddings, { store })).rejects.toThrow(
      /does not exist/,
    );
    await M3VectorStore.fromTexts(['hello'], {}, embeddings, { store });
    const reopened = await M3VectorStore.fromExistingIndex(embeddings, { store });
    expect(await reopened.similaritySearch('hello', 1)).toHaveLength(1);
  });

  it('refuses bad input with typed errors naming the item', async () => {
    const vectorStore = new M3VectorStore(embeddings, { store: newStore() });
    await expect(
      vectorStore.addDocuments([new Document({ pageContent: 'a', metadata: { n: [1, 2] } })], {
        ids: ['d1'],
      }),
    ).rejects.toThrow(/item: d1/);
    await expect(
      vectorStore.addDocuments([new Document({ pageContent: 'a' })], { ids: [] }),
    ).rejects.toThrow(/1 documents/);
    await expect(
      vectorStore.addVectors([[0.1]], [new Document({ pageContent: 'a' })]),
    ).rejects.toThrow(UnsupportedError);
    await expect(vectorStore.similaritySearch('   ')).rejects.toThrow(/non-empty/);
    expect(() => new M3VectorStore(embeddings, {} as never)).toThrow(/needs `store`/);
  });

  it('adds precomputed vectors to a dense-only collection', async () => {
    const store = new ExactStore({
      collection: {
        name: 'dense_only',
        denseDimension: encoder.denseDimension,
        signals: ['dense'],
      },
    });
    const vectorStore = new M3VectorStore(embeddings, { store });
    const [vector] = await embeddings.embedDocuments(['Guten Tag']);
    expect(
      await vectorStore.addVectors([vector!], [new Document({ pageContent: 'Guten Tag' })], {
        ids: ['g'],
      }),
    ).toEqual(['g']);
    const [[hit, score]] = (await vectorStore.similaritySearchWithScore('Guten Tag', 1)) as [
      [Document, number],
    ];
    expect(hit.id).toBe('g');
    expect(score).toBeCloseTo(1, 5);
  });
});
