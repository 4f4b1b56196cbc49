import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { createStoreWith } from './elastic.js';

// The Elasticsearch store with int16 ColBERT rows (the default before int8), for a before/after
// comparison in one run: `--backend elastic-int16,elastic`.
export { storageStats, wireBytes } from './elastic.js';

export function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return createStoreWith(spec, 'int16');
}

export function describe(): string {
  return `elasticsearch at ${process.env['ES_URL'] ?? '(ES_URL not set)'} (int16 ColBERT rows, the default before int8)`;
}
