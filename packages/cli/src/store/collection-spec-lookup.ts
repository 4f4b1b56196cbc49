import {
  BGE_M3_DENSE_DIMENSION,
  UnsupportedError,
  type OperationOptions,
  type ResolvedCollectionSpec,
} from '@m3kit/core';
import { readManifest } from './collection-manifest.js';
import { openStore } from './open-store.js';
import type { StoreTarget } from './store-target.js';

/** What the store says about a collection: its spec, that it is missing, or (an adapter that cannot say) unknown. */
export type CollectionLookup =
  | { readonly state: 'exists'; readonly spec: ResolvedCollectionSpec }
  | { readonly state: 'missing' }
  | { readonly state: 'unknown' };

/**
 * Asks the backend for the collection's spec (signals, dimension, metadata fields, model): the
 * collection's own record, so any machine and any directory opens it alike. Nothing is created.
 * Only where an adapter cannot describe collections yet does the data dir's copy stand in.
 */
export async function lookUpCollection(
  target: StoreTarget,
  dataDir: string,
  options: OperationOptions,
): Promise<CollectionLookup> {
  const store = await openStore({ target, denseDimension: BGE_M3_DENSE_DIMENSION });
  try {
    const spec = await store.describeCollection(options);
    return spec ? { state: 'exists', spec } : { state: 'missing' };
  } catch (error) {
    if (!UnsupportedError.isInstance(error) || target.kind === 'memory') throw error;
    const manifest = await readManifest(dataDir, target);
    if (!manifest) return { state: 'unknown' };
    return {
      state: 'exists',
      spec: {
        name: target.collection,
        denseDimension: manifest.denseDimension,
        signals: manifest.signals,
        storeText: true,
        metadataFields: manifest.metadataFields,
        ...(manifest.model ? { model: manifest.model } : {}),
      },
    };
  } finally {
    await store.close().catch(() => undefined);
  }
}
