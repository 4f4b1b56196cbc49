import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';

/** Makes a store for the benchmark; each backend's module reads its server address from the environment. */
export type StoreFactory = (spec: CollectionSpec) => Promise<M3StoreV1>;

/** What the backend itself says it stores for a collection (after the writes). */
export interface StorageStats {
  readonly totalBytes: number;
  /** The ColBERT rows alone, where the backend's stats break them out. */
  readonly colbertBytes?: number | undefined;
  readonly source: string;
}

export interface BenchBackend {
  readonly createStore: StoreFactory;
  readonly describe: () => string;
  readonly storageStats?: (spec: CollectionSpec, store: M3StoreV1) => Promise<StorageStats>;
  /** Bytes moved between the client and the server so far, where the backend counts them. */
  readonly wireBytes?: () => number;
}

const BACKENDS: Record<string, () => Promise<BenchBackend>> = {
  exact: () => import('./exact.js'),
  'exact-file': () => import('./exact-file.js'),
  qdrant: () => import('./qdrant.js'),
  milvus: () => import('./milvus.js'),
  'milvus-float32': () => import('./milvus-float32.js'),
  elastic: () => import('./elastic.js'),
  'elastic-int16': () => import('./elastic-int16.js'),
};

export async function backendFactory(name: string): Promise<BenchBackend> {
  const load = BACKENDS[name];
  if (!load)
    throw new Error(`unknown backend "${name}"; known: ${Object.keys(BACKENDS).join(', ')}`);
  return load();
}

export function registerBackend(name: string, load: () => Promise<BenchBackend>): void {
  BACKENDS[name] = load;
}

export function knownBackends(): string[] {
  return Object.keys(BACKENDS);
}
