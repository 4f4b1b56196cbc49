import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';

/** Makes a store for the benchmark; each backend's module reads its server address from the environment. */
export type StoreFactory = (spec: CollectionSpec) => Promise<M3StoreV1>;

const BACKENDS: Record<
  string,
  () => Promise<{ createStore: StoreFactory; describe: () => string }>
> = {
  exact: () => import('./exact.js'),
  qdrant: () => import('./qdrant.js'),
  milvus: () => import('./milvus.js'),
  elastic: () => import('./elastic.js'),
};

export async function backendFactory(
  name: string,
): Promise<{ createStore: StoreFactory; describe: () => string }> {
  const load = BACKENDS[name];
  if (!load)
    throw new Error(`unknown backend "${name}"; known: ${Object.keys(BACKENDS).join(', ')}`);
  return load();
}

export function registerBackend(
  name: string,
  load: () => Promise<{ createStore: StoreFactory; describe: () => string }>,
): void {
  BACKENDS[name] = load;
}

export function knownBackends(): string[] {
  return Object.keys(BACKENDS);
}
