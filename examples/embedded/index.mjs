// BGE-M3 with no server: encode the bundled multilingual sample with @m3kit/encoder, ingest it
// into core's ExactStore (brute force, FlagEmbedding's exact scores) and run hybrid queries.
//
//   npm ci && npm run build                          # at the repository root, once
//   npm start -w @m3kit/example-embedded             # the tiny test model in fixtures/tiny-m3
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-embedded   # the real model (downloaded once)
//
// The tiny model has random weights: it runs in a second and exercises every code path, but its
// rankings mean nothing. With BAAI/bge-m3 the same script finds the password-reset passages in
// every language of the sample.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ExactStore, filters, ingest, withSyncFields } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';

const repository = new URL('../../', import.meta.url);
const model = process.env.M3_MODEL ?? fileURLToPath(new URL('fixtures/tiny-m3', repository));
const samplePath = fileURLToPath(new URL('examples/data/sample.jsonl', repository));

const encoder = await M3Encoder.load(model);
console.log(
  `model: ${encoder.modelId} (${encoder.denseDimension}-d dense, lexical weights, ColBERT)`,
);

// In memory; give `path: '.m3kit/sample.m3store'` to keep it on disk between runs (what `m3 ingest` does).
const store = new ExactStore({
  collection: withSyncFields({ name: 'sample', denseDimension: encoder.denseDimension }),
});
await store.ensureCollection();

/** The sample's JSON lines as documents: `id` and `text`, every other key is metadata (lang, tags, year). */
async function* readSample(path) {
  for await (const line of createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Infinity,
  })) {
    if (line.trim() === '') continue;
    const { id, text, ...metadata } = JSON.parse(line);
    yield { id, text, metadata };
  }
}

const report = await ingest(readSample(samplePath), {
  encoder,
  store,
  chunking: { maxTokens: 512, overlap: 64 },
});
console.log(
  `ingested ${report.documents} documents as ${report.chunks} chunks (${report.tokens} tokens) in ${report.seconds.toFixed(2)} s`,
);

const question = 'How do I reset my password?';
const [encoded] = await encoder.encode([question]);
const { tokenCount, truncated, replacedLoneSurrogates, ...embedding } = encoded;

const queries = [
  {
    label: "hybrid, FlagEmbedding's compute_score (dense 0.4, sparse 0.2, ColBERT 0.4)",
    query: { fusion: { kind: 'weighted' } },
  },
  {
    label: 'hybrid, reciprocal rank fusion, FAQ entries in Asian languages only',
    query: {
      fusion: { kind: 'rrf' },
      filter: filters.and(
        filters.in('lang', ['ja', 'zh', 'ko', 'th', 'hi']),
        filters.eq('tags', 'faq'),
      ),
    },
  },
];
for (const { label, query } of queries) {
  const result = await store.query({ embedding, topK: 5, ...query });
  console.log(`\n"${question}" — ${label}`);
  console.log(
    `execution: fusion ${result.execution.fusion}, colbert ${result.execution.colbert}: ${result.execution.description}`,
  );
  for (const [rank, hit] of result.hits.entries()) {
    const signals = Object.entries(hit.signalScores)
      .map(([signal, score]) => `${signal} ${score.toFixed(3)}`)
      .join(', ');
    const snippet = hit.text.length > 60 ? `${hit.text.slice(0, 59)}…` : hit.text;
    console.log(
      `${String(rank + 1).padStart(2)}. ${hit.score.toFixed(4)}  ${hit.id.padEnd(15)} [${hit.metadata.lang}] (${signals})  ${snippet}`,
    );
  }
  for (const warning of result.warnings) console.log(`warning: ${warning}`);
}

await store.close();
await encoder.close();
