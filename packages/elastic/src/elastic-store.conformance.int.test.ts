import { runStoreConformance } from '@m3kit/core/conformance';
import { ElasticStore } from './elastic-store.js';
import { CLIENT_MAJOR, testClient } from './test-client.int-helper.js';

const url = process.env.ES_URL;
if (!url) console.warn('SKIPPED: elasticsearch integration tests: ES_URL not set');

// One client for the whole file: the stores get it injected and leave it open on close().
const client = url ? testClient(url) : undefined;

runStoreConformance({
  name: `elasticsearch (int8_hnsw, exact client scoring, client ${CLIENT_MAJOR}.x)`,
  skipReason: url ? undefined : 'ES_URL not set',
  create: async (spec) =>
    new ElasticStore({
      client: client!,
      collection: spec,
      indexSettings: { number_of_shards: 1, number_of_replicas: 0 },
    }),
});
