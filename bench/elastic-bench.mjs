#!/usr/bin/env node
// The store benchmark (bench/dist/store-bench.js) with Elasticsearch registered as a backend, so
// the harness needs no edit: same corpus, same modes, exact store measured in the same run as peer.
//
//   bash .ci/services/elasticsearch.sh start && export $(cat .ci/work/elasticsearch.env)
//   npm run build
//   node bench/elastic-bench.mjs --backend elastic --points 10000 --queries 30
//   node bench/elastic-bench.mjs --backend elastic --points 100000 --signals dense,sparse
//   M3KIT_ES_DENSE_INDEX=flat M3KIT_ES_SCORING=server node bench/elastic-bench.mjs --backend elastic ...
import { ElasticStore } from '@m3kit/elastic';
import { registerBackend } from './dist/backends/index.js';

const denseIndex = process.env.M3KIT_ES_DENSE_INDEX ?? 'int8_hnsw';
const scoring = process.env.M3KIT_ES_SCORING ?? 'exact';

registerBackend('elastic', async () => ({
  createStore: async (spec) => {
    if (!process.env.ES_URL) throw new Error('set ES_URL to benchmark Elasticsearch');
    return new ElasticStore({
      collection: spec,
      denseIndex: { type: denseIndex },
      scoring,
      indexSettings: { number_of_shards: 1, number_of_replicas: 0 },
    });
  },
  describe: () =>
    `elasticsearch at ${process.env.ES_URL ?? '(ES_URL not set)'} (${denseIndex} dense, sparse_vector, int16 ColBERT rescored on the client; ${scoring} scoring)`,
}));

await import('./dist/store-bench.js');
