// LlamaIndex.TS with BGE-M3: the bundled multilingual sample into a VectorStoreIndex on
// M3VectorStore, retrieval in each query mode, then a ColBERT rerank of the hybrid hits. No LLM is
// called: the script prints the context a query engine would hand one.
//
//   npm ci && npm run build                          # at the repository root, once
//   npm start -w @m3kit/example-llamaindex           # the tiny test model in fixtures/tiny-m3
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-llamaindex   # the real model (downloaded once)
//
// The tiny model has random weights: every code path runs in seconds, but its rankings mean
// nothing. The store is m3kit's exact store in memory; QdrantStore, MilvusStore or ElasticStore
// take its place in one line.
import { fileURLToPath } from 'node:url';
import {
  Document,
  MetadataMode,
  Settings,
  VectorStoreIndex,
  VectorStoreQueryMode,
  storageContextFromDefaults,
} from 'llamaindex';
import { ExactStore } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import {
  LLAMAINDEX_METADATA_FIELDS,
  M3ColbertRerank,
  M3Embedding,
  M3VectorStore,
} from '@m3kit/llamaindex';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';

const model =
  process.env.M3_MODEL ?? fileURLToPath(new URL('../../fixtures/tiny-m3', import.meta.url));
const encoder = await M3Encoder.load(model);
console.log(`model: ${encoder.modelId}`);

Settings.embedModel = new M3Embedding({ encoder });
const store = new ExactStore({
  collection: {
    name: 'sample',
    denseDimension: encoder.denseDimension,
    metadataFields: [...SAMPLE_FIELDS, ...LLAMAINDEX_METADATA_FIELDS],
  },
});
const vectorStore = new M3VectorStore({
  store,
  embedModel: Settings.embedModel,
  defaultAlpha: 0.6,
});
const documents = loadSample().map(
  ({ id, text, metadata }) => new Document({ id_: id, text, metadata }),
);
const index = await VectorStoreIndex.fromDocuments(documents, {
  storageContext: await storageContextFromDefaults({ vectorStore }),
});
console.log(`indexed ${await store.count()} nodes`);

const question = 'Wie setze ich mein Passwort zurück?';
const show = (label, nodes) => {
  console.log(`\n${label}`);
  for (const { node, score } of nodes) {
    const signals = Object.entries(node.metadata.m3kit.signalScores)
      .map(([s, v]) => `${s} ${v.toFixed(3)}`)
      .join(', ');
    console.log(
      `  ${score.toFixed(4)}  ${node.sourceNode?.nodeId}  [${node.metadata.lang}]  (${signals})`,
    );
  }
};
for (const mode of [
  VectorStoreQueryMode.DEFAULT,
  VectorStoreQueryMode.SPARSE,
  VectorStoreQueryMode.HYBRID,
]) {
  const label =
    mode === VectorStoreQueryMode.HYBRID ? 'hybrid (alpha 0.6: dense 0.6, sparse 0.4)' : mode;
  show(label, await index.asRetriever({ similarityTopK: 3, mode }).retrieve(question));
}

// Hybrid candidates, reranked by ColBERT (the rows are read back from the store).
const candidates = await index
  .asRetriever({ similarityTopK: 8, mode: VectorStoreQueryMode.HYBRID })
  .retrieve(question);
const reranked = await new M3ColbertRerank({ encoder, store, topN: 3 }).postprocessNodes(
  candidates,
  question,
);
show('hybrid top 8, reranked by ColBERT', reranked);

console.log(
  '\nthe context a query engine would pass to an LLM (index.asQueryEngine({ nodePostprocessors: [rerank] })):',
);
console.log(reranked.map(({ node }) => node.getContent(MetadataMode.LLM)).join('\n---\n'));

await encoder.close();
