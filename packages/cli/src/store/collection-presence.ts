import { BackendError, throwIfAborted, type M3StoreV1, type OperationOptions } from '@m3kit/core';
import type { ElasticStore } from '@m3kit/elastic';
import type { StoreTarget } from './store-target.js';

/** Whether a server collection exists, and its point count where it can be had without opening it. */
export interface CollectionPresence {
  readonly exists: boolean;
  /** Undefined when the backend answers only for an opened collection (Milvus, when not loaded). */
  readonly points: number | undefined;
}

/** Milvus's error codes for a collection that does not exist, and for one not loaded into memory. */
const MILVUS_COLLECTION_NOT_FOUND = 100;
const MILVUS_COLLECTION_NOT_LOADED = 101;

/**
 * Asks a server whether the target's collection exists and how many points it holds, without
 * opening it: ensureCollection() would create a missing collection, or refuse one whose schema
 * differs from the flags, and `m3 drop` must do neither. `store` is what openStore() made for
 * `target`.
 */
export async function collectionPresence(
  store: M3StoreV1,
  target: Exclude<StoreTarget, { kind: 'memory' }>,
  options: OperationOptions,
): Promise<CollectionPresence> {
  switch (target.kind) {
    case 'qdrant':
      // Qdrant counts an unopened collection; a missing one is a 404.
      try {
        return { exists: true, points: await store.count(undefined, options) };
      } catch (error) {
        if (BackendError.isInstance(error) && error.statusCode === 404)
          return { exists: false, points: undefined };
        throw error;
      }
    case 'milvus':
      try {
        return { exists: true, points: await store.count(undefined, options) };
      } catch (error) {
        if (BackendError.isInstance(error) && error.statusCode === MILVUS_COLLECTION_NOT_FOUND)
          return { exists: false, points: undefined };
        if (BackendError.isInstance(error) && error.statusCode === MILVUS_COLLECTION_NOT_LOADED)
          return { exists: true, points: undefined };
        throw error;
      }
    case 'elastic':
      // ElasticStore counts only after ensureCollection(), so ask its client (openStore made an ElasticStore for this kind).
      return countElasticIndex(store as ElasticStore, target.collection, options);
  }
}

async function countElasticIndex(
  store: ElasticStore,
  index: string,
  options: OperationOptions,
): Promise<CollectionPresence> {
  try {
    const response = await store.client.count(
      { index },
      options.signal ? { signal: options.signal } : {},
    );
    return { exists: true, points: response.count };
  } catch (error) {
    const status = (error as { meta?: { statusCode?: unknown } }).meta?.statusCode;
    if (status === 404) return { exists: false, points: undefined };
    throwIfAborted(options.signal, `count index ${index}`);
    const statusCode = typeof status === 'number' ? status : undefined;
    throw new BackendError({
      backend: store.capabilities.backend,
      message: `count index ${index} failed${statusCode ? ` (HTTP ${statusCode})` : ''}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      ...(statusCode !== undefined ? { statusCode } : {}),
      // No status: the server was not reached (down, restarting); 429 and 5xx may pass too.
      isRetryable: statusCode === undefined || statusCode === 429 || statusCode >= 500,
      cause: error,
    });
  }
}
