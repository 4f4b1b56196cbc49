// Ingest the bundled multilingual sample (examples/data/sample.jsonl) into Elasticsearch and query them with BGE-M3's three signals.
//
//   bash .ci/services/elasticsearch.sh start        # or any Elasticsearch 8.x (8.15+ recommended)
//   npm start -w @m3kit/example-elastic              # ES_URL defaults to http://127.0.0.1:9200
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-elastic   # the real model (downloaded once)
//
// Without M3_MODEL (M3KIT_MODEL also works) it uses m3kit's HashingEncoder: BGE-M3's output shapes (1024-d dense,
// lexical weights, ColBERT rows) from hashed words, no model download. Results then reflect shared
// words only; with the real model they are BGE-M3's.
import { SYNC_METADATA_FIELDS, filters, ingest } from '@m3kit/core';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';
import { HashingEncoder } from '@m3kit/core/testing';
import { ElasticStore } from '@m3kit/elastic';

const url = process.env.ES_URL ?? 'http://127.0.0.1:9200';
const model = process.env.M3_MODEL ?? process.env.M3KIT_MODEL;

const encoder = model
  ? await (await import('@m3kit/encoder')).M3Encoder.load(model)
  : new HashingEncoder({ dimension: 1024 });
console.log(
  model
    ? `encoder: ${encoder.modelId}`
    : 'encoder: HashingEncoder (set M3_MODEL=BAAI/bge-m3 for the real model)',
);

const collection = {
  name: 'm3kit_example',
  denseDimension: encoder.denseDimension,
  metadataFields: [...SAMPLE_FIELDS, ...SYNC_METADATA_FIELDS],
};
// `node` (or `client: new Client({ node, auth })`); credentials may also come from ES_API_KEY or
// ES_USERNAME + ES_PASSWORD. Default scoring is exact: Elasticsearch finds candidates, m3kit
// scores every signal exactly (ColBERT with a WebAssembly SIMD kernel) and fuses.
const store = new ElasticStore({ node: url, collection, indexSettings: { number_of_replicas: 0 } });

const documents = loadSample();

const { created } = await store.ensureCollection();
const cluster = store.clusterFeatures;
console.log(
  `Elasticsearch ${cluster.version} (${cluster.license} licence) at ${url}: index m3kit_example ${created ? 'created' : 'found'}; ` +
    `rank_vectors ${cluster.rankVectors ? 'available' : 'not available'}, RRF retriever ${cluster.rrfRetriever ? 'available' : 'not available'}`,
);

const report = await ingest(documents, { encoder, store });
console.log(
  `ingested ${report.documents} documents as ${report.chunks} chunks in ${report.seconds.toFixed(2)} s`,
);

const [question] = await encoder.encode(['How do I reset my password?']);

function show(label, result) {
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

const filter = filters.eq('tags', 'faq');
for (const [label, fusion] of [
  ['weighted (compute_score 0.4/0.2/0.4), exact', { kind: 'weighted' }],
  ['RRF, k = 60', { kind: 'rrf', k: 60 }],
  ['DBSF', { kind: 'dbsf' }],
]) {
  show(
    label,
    await store.query({ embedding: question, fusion, topK: 3, filter, includeText: false }),
  );
}

// The same index, scored by Elasticsearch in one request: kNN (boosted) + sparse term clauses.
const serverScored = new ElasticStore({ client: store.client, collection, scoring: 'server' });
await serverScored.ensureCollection();
show(
  'dense + sparse in one Elasticsearch request (scoring: "server")',
  await serverScored.query({
    embedding: question,
    signals: ['dense', 'sparse'],
    topK: 3,
    filter,
    includeText: false,
  }),
);

if (process.env.KEEP_COLLECTION !== '1') await store.drop();
await encoder.close();
await store.close();
