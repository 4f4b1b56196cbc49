import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExactStore, ingest, filters, InvalidInputError, type M3Document } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { cosineSimilarity, embed, embedMany, generateText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { jsonlDocuments } from '@m3kit/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  M3EmbeddingModel,
  formatContext,
  m3EmbeddingModel,
  m3Retrieve,
  m3SearchTool,
  type M3Retrieval,
} from './index.js';

// The real `ai` package (embed, embedMany, generateText running the tool), the exact store and
// the tiny model (fixtures/tiny-m3). The language model is the SDK's own test model: it only
// decides to call the tool; the retrieval is real.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAMPLE: M3Document[] = jsonlDocuments(
  readFileSync(`${REPO_ROOT}examples/data/sample.jsonl`, 'utf8'),
);

let encoder: M3Encoder;
let store: ExactStore;

beforeAll(async () => {
  encoder = await M3Encoder.load(`${REPO_ROOT}fixtures/tiny-m3`);
  store = new ExactStore({
    collection: {
      name: 'ai_sdk_test',
      denseDimension: encoder.denseDimension,
      metadataFields: [{ name: 'lang', type: 'keyword' }],
    },
  });
  await store.ensureCollection();
  await ingest(SAMPLE, { encoder, store });
});
afterAll(async () => {
  await encoder?.close();
});

describe('M3EmbeddingModel with embed / embedMany', () => {
  it('embed returns the encoder dense vector and counts tokens', async () => {
    const model = m3EmbeddingModel({ encoder });
    const { embedding, usage } = await embed({ model, value: 'Wie lange dauert der Versand?' });
    const [direct] = await encoder.encode(['Wie lange dauert der Versand?']);
    expect(embedding).toEqual(Array.from(direct!.dense!));
    expect(usage.tokens).toBe(direct!.tokenCount);
  });

  it('embedMany splits by maxEmbeddingsPerCall and keeps the order', async () => {
    const model = new M3EmbeddingModel({ encoder, maxEmbeddingsPerCall: 4 });
    const values = SAMPLE.slice(0, 10).map((d) => d.text!);
    const { embeddings } = await embedMany({ model, values });
    expect(embeddings).toHaveLength(10);
    const direct = await encoder.encode(values, { sparse: false, colbert: false });
    embeddings.forEach((e, i) => {
      expect(cosineSimilarity(e, Array.from(direct[i]!.dense!))).toBeCloseTo(1, 6);
    });
  });

  it('refuses too many values per call and bad settings with typed errors', async () => {
    const model = new M3EmbeddingModel({ encoder, maxEmbeddingsPerCall: 1 });
    await expect(model.doEmbed({ values: ['a', 'b'] })).rejects.toThrow(/at most 1 per call/);
    await expect(
      model.doEmbed({ values: ['a'], providerOptions: { m3kit: { maxLength: 1 } } }),
    ).rejects.toThrow(InvalidInputError);
    expect(() => new M3EmbeddingModel({} as never)).toThrow(/needs `encoder`/);
    const long = await model.doEmbed({
      values: ['eins zwei drei vier fünf sechs'],
      providerOptions: { m3kit: { maxLength: 4 } },
    });
    expect(long.warnings).toEqual([
      { type: 'other', message: '1 of 1 values were cut at the token limit' },
    ]);
    expect(long.usage?.tokens).toBe(4);
  });
});

describe('m3Retrieve and m3SearchTool', () => {
  it('m3Retrieve returns the store hybrid hits with per-signal scores', async () => {
    const retrieval = await m3Retrieve('How do I reset my password?', {
      store,
      encoder,
      topK: 3,
      fusion: { kind: 'dbsf' },
      filter: filters.eq('lang', 'en'),
    });
    const [embedding] = await encoder.encode(['How do I reset my password?']);
    const truth = await store.query({
      embedding: embedding!,
      topK: 3,
      fusion: { kind: 'dbsf' },
      filter: filters.eq('lang', 'en'),
    });
    expect(retrieval.hits.map((h) => [h.id, h.score])).toEqual(
      truth.hits.map((h) => [h.id, h.score]),
    );
    for (const hit of retrieval.hits) {
      expect(hit.metadata['lang']).toBe('en');
      expect(Object.keys(hit.signalScores).sort()).toEqual(['colbert', 'dense', 'sparse']);
    }
    expect(retrieval.execution).toMatch(/exact/);
    expect(formatContext(retrieval)).toContain(
      `[${retrieval.hits[0]!.id}]\n${retrieval.hits[0]!.text}`,
    );
    await expect(m3Retrieve('  ', { store, encoder })).rejects.toThrow(/non-empty/);
  });

  it('runs as a tool inside generateText', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: {
        content: [
          {
            type: 'tool-call',
            toolCallId: 'call-1',
            toolName: 'search',
            input: JSON.stringify({ query: 'Versand Lieferung', topK: 2 }),
          },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
        warnings: [],
      },
    });
    const search = m3SearchTool({
      store,
      encoder,
      signals: ['dense', 'sparse'],
      fusion: { kind: 'rrf' },
    });
    const result = await generateText({
      model,
      tools: { search },
      prompt: 'How long does shipping take?',
    });
    expect(result.toolResults).toHaveLength(1);
    const output = result.toolResults[0]!.output as M3Retrieval;
    const direct = await m3Retrieve('Versand Lieferung', {
      store,
      encoder,
      topK: 2,
      signals: ['dense', 'sparse'],
      fusion: { kind: 'rrf' },
    });
    expect(output.hits).toEqual(direct.hits);
    expect(output.hits).toHaveLength(2);
    expect(Object.keys(output.hits[0]!.signalScores).sort()).toEqual(['dense', 'sparse']);
  });

  it('refuses a model input outside the schema with a message the model can act on', async () => {
    const model = new MockLanguageModelV3({
      doGenerate: {
        content: [
          {
            type: 'tool-call',
            toolCallId: 'call-2',
            toolName: 'search',
            input: JSON.stringify({ query: 'x', topK: 500 }),
          },
        ],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
        warnings: [],
      },
    });
    const search = m3SearchTool({ store, encoder, maxTopK: 10 });
    const result = await generateText({ model, tools: { search }, prompt: 'q' });
    expect(result.toolResults).toHaveLength(0);
    const error = result.content.find((part) => part.type === 'tool-error');
    expect(error).toBeDefined();
    expect(String((error as { error: unknown }).error)).toMatch(
      /topK must be an integer from 1 to 10/,
    );
  });
});
