import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExactStore, SYNC_METADATA_FIELDS, filters, ingest, type M3Document } from '@m3kit/core';
import { MilvusStore } from '@m3kit/milvus';
import { M3Encoder } from '@m3kit/encoder';
import { generateText } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueCollectionName, jsonlDocuments } from '@m3kit/core/testing';
import { m3Retrieve, m3SearchTool, type M3Retrieval } from './index.js';

// The bundled sample ingested into a real Milvus Lite, then the search tool run by
// generateText (the SDK's test model only asks for the call); hits and per-signal scores are
// compared with the exact store holding the same documents.
const address = process.env.MILVUS_ADDRESS;
if (!address)
  console.warn(
    'SKIPPED: @m3kit/ai-sdk integration test: MILVUS_ADDRESS not set (e.g. MILVUS_ADDRESS=127.0.0.1:19530)',
  );

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SAMPLE: M3Document[] = jsonlDocuments(
  readFileSync(`${REPO_ROOT}examples/data/sample.jsonl`, 'utf8'),
);
const collectionName = uniqueCollectionName('m3ai');

describe.skipIf(!address)('AI SDK search tool on Milvus Lite', () => {
  let encoder: M3Encoder;
  let milvus: MilvusStore;
  let exact: ExactStore;

  beforeAll(async () => {
    encoder = await M3Encoder.load(`${REPO_ROOT}fixtures/tiny-m3`);
    const collection = {
      name: collectionName,
      denseDimension: encoder.denseDimension,
      metadataFields: [{ name: 'lang', type: 'keyword' as const }, ...SYNC_METADATA_FIELDS],
    };
    milvus = new MilvusStore({ address: address!, collection });
    exact = new ExactStore({ collection });
    for (const store of [milvus, exact]) {
      await store.ensureCollection();
      await ingest(SAMPLE, { encoder, store });
    }
  });

  afterAll(async () => {
    await milvus?.drop().catch(() => undefined);
    await milvus?.close();
    await encoder?.close();
  });

  it('answers the tool call with hybrid hits and per-signal scores', async () => {
    expect(await milvus.count()).toBe(SAMPLE.length);
    const model = new MockLanguageModelV3({
      doGenerate: {
        content: [
          {
            type: 'tool-call',
            toolCallId: 'c1',
            toolName: 'search',
            input: JSON.stringify({ query: 'Comment réinitialiser mon mot de passe ?', topK: 3 }),
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
    const settings = {
      encoder,
      fusion: { kind: 'weighted' as const },
      filter: filters.in('lang', ['fr', 'en']),
    };
    const result = await generateText({
      model,
      tools: { search: m3SearchTool({ ...settings, store: milvus }) },
      prompt: 'password?',
    });
    const output = result.toolResults[0]!.output as M3Retrieval;
    const truth = await m3Retrieve('Comment réinitialiser mon mot de passe ?', {
      ...settings,
      store: exact,
      topK: 3,
    });
    expect(output.hits.map((h) => h.id)).toEqual(truth.hits.map((h) => h.id));
    expect(output.execution).toMatch(/milvus/i);
    const tolerance = milvus.capabilities.scoreTolerance;
    output.hits.forEach((hit, i) => {
      expect(['fr', 'en']).toContain(hit.metadata['lang']);
      for (const signal of ['dense', 'sparse', 'colbert'] as const) {
        const want = truth.hits[i]!.signalScores[signal]!;
        expect(Math.abs(hit.signalScores[signal]! - want)).toBeLessThanOrEqual(
          tolerance * Math.max(1, Math.abs(want)) + 1e-6,
        );
      }
    });
  });
});
