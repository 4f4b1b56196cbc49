import { runStoreConformance } from '@m3kit/core/conformance';
import { serverFromEnv } from '@m3kit/core/testing';
import { QdrantStore } from './qdrant-store.js';

const { address: url, skipReason } = serverFromEnv('QDRANT_URL', 'qdrant conformance');

// Defaults: HNSW dense search, ColBERT reranks the dense+sparse candidates (BGE-M3's recipe),
// weighted score by a server formula, RRF natively, DBSF by m3kit. Approximate modes declare
// recall floors.
runStoreConformance({
  name: 'qdrant (defaults)',
  skipReason,
  create: async (collection) => new QdrantStore({ url: url!, collection }),
});

// Exact candidate lists: exact dense search and a ColBERT scan. RRF and DBSF then reproduce the
// exact store's ranking.
runStoreConformance({
  name: 'qdrant (exact search, ColBERT scan)',
  skipReason,
  create: async (collection) =>
    new QdrantStore({ url: url!, collection, search: { exact: true, colbertCandidates: 'scan' } }),
});
