import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { MilvusStore } from '@m3kit/milvus';

export async function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  if (!process.env['MILVUS_ADDRESS']) throw new Error('set MILVUS_ADDRESS to benchmark Milvus');
  return new MilvusStore({ collection: spec });
}

export function describe(): string {
  return `milvus at ${process.env['MILVUS_ADDRESS'] ?? '(MILVUS_ADDRESS not set)'} (FLAT dense and ColBERT indexes, SPARSE_INVERTED_INDEX)`;
}
