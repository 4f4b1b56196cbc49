import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BaseEmbedding } from '@llamaindex/core/embeddings';
import { Document, MetadataMode, TextNode } from '@llamaindex/core/schema';
import { BaseVectorStore, VectorStoreQueryMode } from '@llamaindex/core/vector-store';
import {
  ExactStore,
  InvalidInputError,
  UnsupportedError,
  colbertScore,
  filters,
} from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { Settings, VectorStoreIndex, storageContextFromDefaults } from 'llamaindex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LLAMAINDEX_METADATA_FIELDS,
  M3ColbertRerank,
  M3Embedding,
  M3VectorStore,
  toCoreFilter,
  type M3NodeScores,
} from './index.js';

// The real llamaindex package (VectorStoreIndex, its retriever and node parser), the exact store
// and the tiny model (fixtures/tiny-m3).
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
const FIELDS = [
  { name: 'lang', type: 'keyword' },
  { name: 'tags', type: 'keyword[]' },
  { name: 'year', type: 'integer' },
  ...LLAMAINDEX_METADATA_FIELDS,
] as const;

let encoder: M3Encoder;
let embedModel: M3Embedding;

beforeAll(async () => {
  encoder = await M3Encoder.load(`${REPO_ROOT}fixtures/tiny-m3`);
  embedModel = new M3Embedding({ encoder });
  Settings.embedModel = embedModel;
});
afterAll(async () => {
  await encoder?.close();
});

function sampleDocuments(): Document[] {
  return SAMPLE.map(({ id, text, ...metadata }) => new Document({ id_: id, text, metadata }));
}

function newStore(name = 'li_test'): ExactStore {
  return new ExactStore({
    collection: { name, denseDimension: encoder.denseDimension, metadataFields: FIELDS },
  });
}

async function buildIndex(
  store: ExactStore,
): Promise<{ index: VectorStoreIndex; vectorStore: M3VectorStore }> {
  const vectorStore = new M3VectorStore({ store, embedModel });
  const storageContext = await storageContextFromDefaults({ vectorStore });
  const index = await VectorStoreIndex.fromDocuments(sampleDocuments(), { storageContext });
  return { index, vectorStore };
}

function scoresOf(node: { metadata: Record<string, unknown> }): M3NodeScores {
  return node.metadata['m3kit'] as M3NodeScores;
}

describe('M3Embedding', () => {
  it('is a BaseEmbedding returning the encoder dense vector', async () => {
    const embedding = new M3Embedding({ encoder });
    expect(embedding).toBeInstanceOf(BaseEmbedding);
    const [direct] = await encoder.encode(['Versand'], { sparse: false, colbert: false });
    expect(await embedding.getTextEmbedding('Versand')).toEqual(Array.from(direct!.dense!));
    expect(await embedding.getTextEmbeddingsBatch(['a', 'b', 'c'])).toHaveLength(3);
  });
});

describe('M3VectorStore under VectorStoreIndex', () => {
  let store: ExactStore;
  let index: VectorStoreIndex;
  let vectorStore: M3VectorStore;

  beforeAll(async () => {
    store = newStore();
    ({ index, vectorStore } = await buildIndex(store));
  });

  it('is a BaseVectorStore holding one record per node with all three signals and its source', async () => {
    expect(vectorStore).toBeInstanceOf(BaseVectorStore);
    expect(await store.count()).toBe(SAMPLE.length);
    expect(await store.count(filters.eq('ref_doc_id', 'en-password'))).toBe(1);
    const [record] = await store.get(
      [(await index.asRetriever({ similarityTopK: 1 }).retrieve('Versand'))[0]!.node.id_],
      { includeEmbedding: true },
    );
    expect(record?.embedding?.dense).toHaveLength(encoder.denseDimension);
    expect(record?.embedding?.lexical?.indices.length).toBeGreaterThan(0);
    expect(record?.embedding?.colbert?.rows).toBeGreaterThan(0);
  });

  it('maps default to dense, sparse to lexical and hybrid to dense + sparse weighted by alpha', async () => {
    const question = 'Wie lange dauert der Versand?';
    const [embedding] = await encoder.encode([question]);
    const cases = [
      [VectorStoreQueryMode.DEFAULT, ['dense'], undefined],
      [VectorStoreQueryMode.SPARSE, ['sparse'], undefined],
      [VectorStoreQueryMode.HYBRID, ['dense', 'sparse'], { dense: 0.5, sparse: 0.5 }],
    ] as const;
    for (const [mode, signals, weights] of cases) {
      // Through LlamaIndex's own retriever (it passes no alpha: the store's defaultAlpha, 0.5, holds).
      const nodes = await index.asRetriever({ similarityTopK: 3, mode }).retrieve(question);
      const truth = await store.query({
        embedding: embedding!,
        topK: 3,
        signals,
        ...(weights ? { weights } : {}),
      });
      expect(
        nodes.map((n) => n.node.id_),
        mode,
      ).toEqual(truth.hits.map((h) => h.id));
      expect(nodes.map((n) => n.score)).toEqual(truth.hits.map((h) => h.score));
      for (const { node } of nodes)
        expect(Object.keys(scoresOf(node).signalScores).sort()).toEqual([...signals].sort());
    }
    const weighted = await vectorStore.query({
      queryStr: question,
      similarityTopK: 3,
      mode: VectorStoreQueryMode.HYBRID,
      alpha: 0.8,
    });
    const truth = await store.query({
      embedding: embedding!,
      topK: 3,
      signals: ['dense', 'sparse'],
      weights: { dense: 0.8, sparse: 0.2 },
    });
    expect(weighted.ids).toEqual(truth.hits.map((h) => h.id));
    weighted.nodes!.forEach((node, i) => {
      const { dense, sparse } = scoresOf(node).signalScores;
      expect(weighted.similarities[i]).toBeCloseTo(0.8 * dense! + 0.2 * sparse!, 6);
    });
  });

  it('returns whole nodes: text, metadata, source document; scores hidden from the LLM', async () => {
    const [hit] = await index
      .asRetriever({ similarityTopK: 1 })
      .retrieve('How do I reset my password?');
    const node = hit!.node as TextNode;
    const source = SAMPLE.find((d) => d.id === node.sourceNode?.nodeId)!;
    expect(node.getContent(MetadataMode.NONE)).toBe(source.text);
    expect(node.metadata).toMatchObject({ lang: source.lang, year: source.year });
    expect(node.getContent(MetadataMode.LLM)).not.toContain('m3kit');
  });

  it('takes LlamaIndex metadata filters and docIds', async () => {
    const result = await vectorStore.query({
      queryStr: 'refund',
      similarityTopK: 30,
      mode: VectorStoreQueryMode.HYBRID,
      filters: {
        filters: [
          { key: 'lang', value: 'en', operator: '==' },
          { key: 'year', value: 2022, operator: '>=' },
        ],
        condition: 'and',
      },
    });
    const expected = SAMPLE.filter((d) => d.lang === 'en' && d.year >= 2022).map((d) => d.id);
    expect(result.nodes!.map((n) => n.sourceNode?.nodeId).sort()).toEqual(expected.sort());
    const two = await vectorStore.query({
      queryStr: 'refund',
      similarityTopK: 30,
      mode: VectorStoreQueryMode.DEFAULT,
      docIds: ['en-refund', 'de-refund'],
    });
    expect(two.nodes!.map((n) => n.sourceNode?.nodeId).sort()).toEqual(
      ['de-refund', 'en-refund'].filter((id) => SAMPLE.some((d) => d.id === id)).sort(),
    );
  });

  it('customParams set any part of the hybrid query', async () => {
    const result = await vectorStore.query({
      queryStr: 'password',
      similarityTopK: 2,
      mode: VectorStoreQueryMode.HYBRID,
      customParams: { signals: ['dense', 'sparse', 'colbert'], fusion: { kind: 'rrf', k: 60 } },
    });
    expect(Object.keys(scoresOf(result.nodes![0]!).signalScores).sort()).toEqual([
      'colbert',
      'dense',
      'sparse',
    ]);
    expect(result.similarities[0]).toBeLessThanOrEqual(3 / 61);
  });

  it('refuses modes and values it cannot honour with typed errors', async () => {
    await expect(
      vectorStore.query({ queryStr: 'x', similarityTopK: 2, mode: VectorStoreQueryMode.MMR }),
    ).rejects.toThrow(UnsupportedError);
    await expect(
      vectorStore.query({
        queryStr: 'x',
        similarityTopK: 2,
        mode: VectorStoreQueryMode.HYBRID,
        alpha: 2,
      }),
    ).rejects.toThrow(/alpha/);
    await expect(
      vectorStore.query({
        queryEmbedding: [0.1],
        similarityTopK: 2,
        mode: VectorStoreQueryMode.SPARSE,
      }),
    ).rejects.toThrow(/needs queryStr/);
    expect(() =>
      toCoreFilter({ filters: [{ key: 'lang', value: 'e', operator: 'text_match' }] }),
    ).toThrow(UnsupportedError);
    expect(() => toCoreFilter({ filters: [{ key: 'year', value: 'x', operator: '>' }] })).toThrow(
      InvalidInputError,
    );
  });

  it('translates every other filter operator', () => {
    expect(
      toCoreFilter({
        filters: [
          { key: 'tags', value: ['faq', 'x'], operator: 'any' },
          { key: 'tags', value: ['faq', 'account'], operator: 'all' },
        ],
        condition: 'or',
      }),
    ).toEqual(
      filters.or(
        filters.in('tags', ['faq', 'x']),
        filters.and(filters.eq('tags', 'faq'), filters.eq('tags', 'account')),
      ),
    );
    expect(toCoreFilter({ filters: [{ key: 'lang', value: ['de'], operator: 'nin' }] })).toEqual(
      filters.not(filters.in('lang', ['de'])),
    );
    expect(
      toCoreFilter({ filters: [{ key: 'tags', value: 'faq', operator: 'contains' }] }),
    ).toEqual(filters.eq('tags', 'faq'));
    expect(toCoreFilter({ filters: [{ key: 'year', operator: 'is_empty' }] })).toEqual(
      filters.not(filters.exists('year')),
    );
    expect(toCoreFilter({ filters: [] })).toBeUndefined();
  });
});

describe('M3VectorStore writes', () => {
  it('encodes each node once when VectorStoreIndex embeds it through M3Embedding', async () => {
    let calls = 0;
    const counting = {
      ...encoder,
      specificationVersion: 'v1' as const,
      modelId: encoder.modelId,
      denseDimension: encoder.denseDimension,
      maxLength: encoder.maxLength,
      encode: (texts: readonly string[], options?: Parameters<M3Encoder['encode']>[1]) => {
        calls += texts.length;
        return encoder.encode(texts, options);
      },
      tokenize: encoder.tokenize.bind(encoder),
      close: async () => undefined,
    };
    const model = new M3Embedding({ encoder: counting });
    const store = newStore();
    const vectorStore = new M3VectorStore({ store, embedModel: model });
    await Settings.withEmbedModel(model, async () => {
      await VectorStoreIndex.fromDocuments(sampleDocuments().slice(0, 5), {
        storageContext: await storageContextFromDefaults({ vectorStore }),
      });
    });
    expect(await store.count()).toBe(5);
    expect(calls).toBe(5);
  });

  it('deletes every node of a source document', async () => {
    const store = newStore();
    const { index } = await buildIndex(store);
    await index.deleteRefDoc('en-password');
    expect(await store.count(filters.eq('ref_doc_id', 'en-password'))).toBe(0);
    expect(await store.count()).toBe(SAMPLE.length - 1);
  });

  it('adds nodes embedded elsewhere by encoding them, and refuses empty ones', async () => {
    const store = newStore();
    const vectorStore = new M3VectorStore({ store, embedModel: new M3Embedding({ encoder }) });
    await vectorStore.add([
      new TextNode({
        id_: 'n1',
        text: 'Bonjour',
        metadata: { lang: 'fr', file: { name: 'a.txt' } },
      }),
    ]);
    const [record] = await store.get(['n1'], { includeEmbedding: true });
    expect(record?.metadata).toMatchObject({ lang: 'fr', file_name: 'a.txt' });
    expect(record?.embedding?.colbert?.rows).toBeGreaterThan(0);
    await expect(vectorStore.add([new TextNode({ id_: 'n2', text: ' ' })])).rejects.toThrow(
      /node has no text.*n2/,
    );
  });
});

describe('M3ColbertRerank', () => {
  it('rescores retrieved nodes with the ColBERT score, from the store or by encoding', async () => {
    const store = newStore();
    const { index } = await buildIndex(store);
    const question = 'Comment réinitialiser mon mot de passe ?';
    const retrieved = await index
      .asRetriever({ similarityTopK: 6, mode: VectorStoreQueryMode.HYBRID })
      .retrieve(question);
    const fromStore = await new M3ColbertRerank({ encoder, store, topN: 3 }).postprocessNodes(
      retrieved.map((n) => ({ ...n })),
      question,
    );
    const encoded = await new M3ColbertRerank({ encoder, topN: 3 }).postprocessNodes(
      retrieved.map((n) => ({ ...n })),
      question,
    );
    const [q] = await encoder.encode([question], { dense: false, sparse: false, colbert: true });
    const stored = await store.get(
      retrieved.map((n) => n.node.id_),
      { includeEmbedding: true },
    );
    const truth = stored
      .map((r) => ({ id: r.id, score: colbertScore(q!.colbert!, r.embedding!.colbert!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3);
    expect(fromStore.map((n) => n.node.id_)).toEqual(truth.map((t) => t.id));
    fromStore.forEach((n, i) => {
      expect(n.score).toBeCloseTo(truth[i]!.score, 6);
      expect(scoresOf(n.node).signalScores.colbert).toBe(n.score);
    });
    expect(encoded.map((n) => n.node.id_)).toEqual(truth.map((t) => t.id));
    await expect(new M3ColbertRerank({ encoder }).postprocessNodes(retrieved)).rejects.toThrow(
      /query text/,
    );
  });
});
