import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { QdrantStore } from '@m3kit/qdrant';

export async function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  if (!process.env['QDRANT_URL']) throw new Error('set QDRANT_URL to benchmark Qdrant');
  return new QdrantStore({ collection: spec });
}

export function describe(): string {
  return `qdrant at ${process.env['QDRANT_URL'] ?? '(QDRANT_URL not set)'}`;
}
