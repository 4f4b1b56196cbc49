import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { createStoreWith } from './milvus.js';

// Milvus with float32 ColBERT token rows (the layout before float16), for a before/after run:
// `--backend milvus-float32,milvus`.
export function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return createStoreWith(spec, 'float32');
}

export function describe(): string {
  return `milvus at ${process.env['MILVUS_ADDRESS'] ?? '(MILVUS_ADDRESS not set)'} (float32 ColBERT token rows, the layout before float16)`;
}
