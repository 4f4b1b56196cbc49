// Ingest the bundled multilingual sample (examples/data/sample.jsonl) into Milvus and query them with BGE-M3's three signals.
//
//   bash .ci/services/milvus.sh start && export $(cat .ci/work/milvus.env)   # Milvus Lite 2.5.1 on 127.0.0.1
//   npm start -w @m3kit/example-milvus              # MILVUS_ADDRESS defaults to 127.0.0.1:19530
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-milvus   # the real model (downloaded once)
//
// Without M3_MODEL (M3KIT_MODEL also works) it uses m3kit's HashingEncoder: BGE-M3's output shapes (1024-d dense,
// lexical weights, ColBERT rows) from hashed words, no model download. Results then reflect shared
// words only; with the real model they are BGE-M3's.
import { SYNC_METADATA_FIELDS, filters, ingest } from '@m3kit/core';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';
import { HashingEncoder } from '@m3kit/core/testing';
import { MilvusStore } from '@m3kit/milvus';

const address = process.env.MILVUS_ADDRESS ?? '127.0.0.1:19530';
const model = process.env.M3_MODEL ?? process.env.M3KIT_MODEL;

const encoder = model
  ? await (await import('@m3kit/encoder')).M3Encoder.load(model)
  : new HashingEncoder({ dimension: 1024 });
console.log(
  model
    ? `encoder: ${encoder.modelId}`
    : 'encoder: HashingEncoder (set M3_MODEL=BAAI/bge-m3 for the real model)',
);

const store = new MilvusStore({
  address, // or `client: new MilvusClient({ address, token })`; the token may also come from MILVUS_TOKEN
  collection: {
    name: 'm3kit_example',
    denseDimension: encoder.denseDimension,
    metadataFields: [...SAMPLE_FIELDS, ...SYNC_METADATA_FIELDS],
  },
});

const documents = loadSample();

const { created } = await store.ensureCollection();
console.log(
  `Milvus at ${address}: collection m3kit_example ${created ? 'created' : 'found'} (+ m3kit_example__colbert for token vectors)`,
);

const report = await ingest(documents, { encoder, store });
console.log(
  `ingested ${report.documents} documents as ${report.chunks} chunks in ${report.seconds.toFixed(2)} s`,
);

const [question] = await encoder.encode(['How do I reset my password?']);
const queries = [
  {
    label: 'weighted (compute_score 0.4/0.2/0.4), exact on the client',
    query: { fusion: { kind: 'weighted' } },
  },
  {
    label: 'RRF over dense + sparse, native hybridSearch with RRFRanker(60)',
    query: { signals: ['dense', 'sparse'], fusion: { kind: 'rrf', k: 60 } },
  },
  {
    label: 'RRF over all three signals (ColBERT lives in a second collection: fused on the client)',
    query: { fusion: { kind: 'rrf', k: 60 } },
  },
  { label: 'DBSF', query: { fusion: { kind: 'dbsf' } } },
];
for (const { label, query } of queries) {
  const result = await store.query({
    embedding: question,
    ...query,
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
