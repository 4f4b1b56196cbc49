// The Vercel AI SDK with BGE-M3: embed/embedMany with m3kit's embedding model (dense), then the
// bundled multilingual sample ingested into a store and m3kit's hybrid query as a retrieval step
// and as a tool. No LLM is called: the script prints the prompt and runs the tool itself.
//
//   npm ci && npm run build                          # at the repository root, once
//   npm start -w @m3kit/example-ai-sdk               # the tiny test model in fixtures/tiny-m3
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-ai-sdk   # the real model (downloaded once)
//
// The tiny model has random weights: every code path runs in seconds, but its rankings mean
// nothing. The store is m3kit's exact store in memory; QdrantStore, MilvusStore or ElasticStore
// take its place in one line.
import { fileURLToPath } from 'node:url';
import { cosineSimilarity, embed, embedMany } from 'ai';
import { ExactStore, filters, ingest } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { formatContext, m3EmbeddingModel, m3Retrieve, m3SearchTool } from '@m3kit/ai-sdk';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';

const modelPath =
  process.env.M3_MODEL ?? fileURLToPath(new URL('../../fixtures/tiny-m3', import.meta.url));
const encoder = await M3Encoder.load(modelPath);
console.log(`model: ${encoder.modelId}`);

// 1. The AI SDK's own embedding calls: dense vectors.
const model = m3EmbeddingModel({ encoder });
const { embedding, usage } = await embed({ model, value: 'How do I reset my password?' });
const { embeddings } = await embedMany({
  model,
  values: ['Passwort zurücksetzen', 'Versandkosten'],
});
console.log(
  `embed: ${embedding.length}-d, ${usage.tokens} tokens; cosine to the German texts: ${embeddings.map((e) => cosineSimilarity(embedding, e).toFixed(3)).join(', ')}`,
);

// 2. The sample in a store with all three outputs (ingest() chunks and encodes, as `m3 ingest`).
const store = new ExactStore({
  collection: {
    name: 'sample',
    denseDimension: encoder.denseDimension,
    metadataFields: SAMPLE_FIELDS,
  },
});
await store.ensureCollection();
const report = await ingest(loadSample(), { encoder, store });
console.log(`ingested ${report.documents} documents as ${report.chunks} chunks`);

// 3. The hybrid query as a retrieval step before generateText.
const settings = {
  store,
  encoder,
  topK: 3,
  fusion: { kind: 'rrf', k: 60 },
  filter: filters.eq('tags', 'faq'),
};
const question = 'How do I reset my password?';
const retrieval = await m3Retrieve(question, settings);
console.log(`\n${retrieval.execution}`);
for (const hit of retrieval.hits) {
  const signals = Object.entries(hit.signalScores)
    .map(([s, v]) => `${s} ${v.toFixed(3)}`)
    .join(', ');
  console.log(`  ${hit.score.toFixed(4)}  ${hit.id}  [${hit.metadata.lang}]  (${signals})`);
}
console.log(
  `\ngenerateText({ model, system, prompt }) would get:\nsystem: Answer from the context; cite ids.\n${formatContext(retrieval)}\nprompt: ${question}`,
);

// 4. The same as a tool: generateText({ model, tools: { search }, stopWhen: stepCountIs(3), prompt }).
const search = m3SearchTool(settings);
const output = await search.execute(
  { query: 'Passwort vergessen', topK: 2 },
  { toolCallId: 'example', messages: [] },
);
console.log(
  `\nthe search tool, called as a model would call it: ${output.hits.map((h) => h.id).join(', ')}`,
);

await encoder.close();
