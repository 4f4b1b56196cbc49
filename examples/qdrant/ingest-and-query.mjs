// Ingest the bundled multilingual sample (examples/data/sample.jsonl) into Qdrant and query them with BGE-M3's three signals.
//
//   docker run -p 6333:6333 qdrant/qdrant          # any Qdrant >= 1.10; >= 1.16 for everything native
//   npm start -w @m3kit/example-qdrant              # QDRANT_URL defaults to http://127.0.0.1:6333
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-qdrant   # the real model (downloaded once)
//
// Without M3_MODEL (M3KIT_MODEL also works) it uses m3kit's HashingEncoder: BGE-M3's output shapes (1024-d dense,
// lexical weights, ColBERT rows) from hashed words, no model download. Results then reflect shared
// words only; with the real model they are BGE-M3's.
import { SYNC_METADATA_FIELDS, filters, ingest } from '@m3kit/core';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';
import { HashingEncoder } from '@m3kit/core/testing';
import { QdrantStore } from '@m3kit/qdrant';

const url = process.env.QDRANT_URL ?? 'http://127.0.0.1:6333';
const model = process.env.M3_MODEL ?? process.env.M3KIT_MODEL;

const encoder = model
  ? await (await import('@m3kit/encoder')).M3Encoder.load(model)
  : new HashingEncoder({ dimension: 1024 });
console.log(
  model
    ? `encoder: ${encoder.modelId}`
    : 'encoder: HashingEncoder (set M3_MODEL=BAAI/bge-m3 for the real model)',
);

const store = new QdrantStore({
  url, // or `client: new QdrantClient({ url, apiKey })`; the API key may also come from QDRANT_API_KEY
  collection: {
    name: 'm3kit_example',
    denseDimension: encoder.denseDimension,
    metadataFields: [...SAMPLE_FIELDS, ...SYNC_METADATA_FIELDS],
  },
});

const documents = loadSample();

const { created } = await store.ensureCollection();
const server = await store.serverFeatures();
console.log(
  `Qdrant ${server.version} at ${url}: collection m3kit_example ${created ? 'created' : 'found'}`,
);

const report = await ingest(documents, { encoder, store });
console.log(
  `ingested ${report.documents} documents as ${report.chunks} chunks in ${report.seconds.toFixed(2)} s`,
);

// The spec is kept on the server: a store that knows only the name can reopen the collection.
const described = await new QdrantStore({
  url,
  collection: { name: 'm3kit_example', denseDimension: 1 },
}).describeCollection();
console.log(
  `on the server: ${described.signals.join('+')}, ${described.denseDimension}-d, fields ${described.metadataFields.map((f) => f.name).join(', ')}`,
);

const [question] = await encoder.encode(['How do I reset my password?']);
const queries = [
  { label: 'weighted (compute_score 0.4/0.2/0.4)', fusion: { kind: 'weighted' } },
  { label: 'RRF, k = 60', fusion: { kind: 'rrf', k: 60 } },
  { label: 'DBSF', fusion: { kind: 'dbsf' } },
];
for (const { label, fusion } of queries) {
  const result = await store.query({
    embedding: question,
    fusion,
    topK: 3,
    filter: filters.eq('tags', 'faq'),
    includeText: false,
  });
  console.log(`\n${label}\n  ${result.execution.description}`);
  for (const hit of result.hits) {
    const signals = Object.entries(hit.signalScores)
      .map(([s, v]) => `${s} ${v.toFixed(3)}`)
      .join(', ');
    console.log(
      `  ${hit.score.toFixed(4)}  ${hit.id}  ${JSON.stringify(hit.metadata)}${signals ? `  (${signals})` : ''}`,
    );
  }
  for (const warning of result.warnings) console.log(`  warning: ${warning}`);
}

if (process.env.KEEP_COLLECTION !== '1') await store.drop();
await encoder.close();
await store.close();
