#!/usr/bin/env node
// The store benchmark (bench/dist/store-bench.js) with Milvus registered as a backend, so the
// harness needs no edit: same corpus, same modes, exact store measured in the same run as peer.
//
//   bash .ci/services/milvus.sh start && export $(cat .ci/work/milvus.env)
//   npm run build
//   node bench/milvus-bench.mjs --backend milvus --points 10000 --queries 30
//   node bench/milvus-bench.mjs --backend milvus --points 100000 --signals dense,sparse
import { MilvusStore } from '@m3kit/milvus';
import { registerBackend } from './dist/backends/index.js';

registerBackend('milvus', async () => ({
  createStore: async (spec) => {
    if (!process.env.MILVUS_ADDRESS) throw new Error('set MILVUS_ADDRESS to benchmark Milvus');
    // The harness writes in batches already; two in flight is the adapter's default.
    return new MilvusStore({ collection: spec });
  },
  describe: () => `milvus at ${process.env.MILVUS_ADDRESS ?? '(MILVUS_ADDRESS not set)'} (FLAT dense and ColBERT indexes, SPARSE_INVERTED_INDEX)`,
}));

await import('./dist/store-bench.js');
