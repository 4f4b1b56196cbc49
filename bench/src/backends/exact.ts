import { ExactStore, type CollectionSpec, type M3StoreV1 } from '@m3kit/core';

export async function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return new ExactStore({ collection: spec });
}

export function describe(): string {
  return 'exact (in-memory brute force, @m3kit/core)';
}
