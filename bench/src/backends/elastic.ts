import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { ElasticStore } from '@m3kit/elastic';

// M3KIT_ES_DENSE_INDEX=flat|hnsw|int8_hnsw|bbq_hnsw and M3KIT_ES_SCORING=exact|server pick the setup.
const denseIndex = (process.env['M3KIT_ES_DENSE_INDEX'] ?? 'int8_hnsw') as 'int8_hnsw';
const scoring = (process.env['M3KIT_ES_SCORING'] ?? 'exact') as 'exact';

export async function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  if (!process.env['ES_URL']) throw new Error('set ES_URL to benchmark Elasticsearch');
  return new ElasticStore({
    collection: spec,
    denseIndex: { type: denseIndex },
    scoring,
    indexSettings: { number_of_shards: 1, number_of_replicas: 0 },
  });
}

export function describe(): string {
  return `elasticsearch at ${process.env['ES_URL'] ?? '(ES_URL not set)'} (${denseIndex} dense, sparse_vector, int16 ColBERT rescored on the client; ${scoring} scoring)`;
}
