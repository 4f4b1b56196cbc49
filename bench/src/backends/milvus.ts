import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { MilvusStore } from '@m3kit/milvus';

// M3KIT_MILVUS_COLBERT=float16|float32 picks the companion's token-vector type.
const vectorType = (process.env['M3KIT_MILVUS_COLBERT'] ?? 'float16') as 'float16' | 'float32';

export function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return createStoreWith(spec, vectorType);
}

/** A store of the given companion vector type (bench backend `milvus-float32` is the old layout). */
export async function createStoreWith(
  spec: CollectionSpec,
  colbertVectorType: 'float16' | 'float32',
): Promise<M3StoreV1> {
  if (!process.env['MILVUS_ADDRESS']) throw new Error('set MILVUS_ADDRESS to benchmark Milvus');
  return new MilvusStore({ collection: spec, colbertVectorType });
}

export function describe(): string {
  return `milvus at ${process.env['MILVUS_ADDRESS'] ?? '(MILVUS_ADDRESS not set)'} (FLAT dense and ${vectorType} ColBERT token rows, SPARSE_INVERTED_INDEX)`;
}
