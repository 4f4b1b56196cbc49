import type { M3Record } from '../document.js';
import type { CollectionSpec } from '../store/collection-spec.js';
import type { ExactStore } from '../store/exact-store.js';
import type { M3StoreV1, StoreCapabilities } from '../store/store-v1.js';
import { batchBySize, estimateRecordJsonBytes } from '../util/batching.js';
export { uniqueCollectionName } from '../testing/unique-collection-name.js';
import { SYNTHETIC_METADATA_FIELDS, type SyntheticCorpus } from '../testing/synthetic-corpus.js';

/** What every conformance test shares: the store under test and its exact twin. */
export interface ConformanceContext {
  readonly spec: CollectionSpec;
  readonly corpus: SyntheticCorpus;
  store: M3StoreV1;
  exact: ExactStore;
  capabilities: StoreCapabilities;
}

/** The synthetic corpus's fields, plus `batch`, which the write tests tag their scratch records with. */
export const CONFORMANCE_METADATA_FIELDS: CollectionSpec['metadataFields'] = [
  ...SYNTHETIC_METADATA_FIELDS,
  { name: 'batch', type: 'keyword' },
];

/** Writes records to both stores in modest batches (the adapter batches further by bytes). */
export async function writeBoth(
  context: ConformanceContext,
  records: readonly M3Record[],
): Promise<void> {
  for (const batch of batchBySize(records, estimateRecordJsonBytes, {
    maxBytes: 8_000_000,
    maxItems: 32,
  })) {
    await context.store.upsert(batch);
    await context.exact.upsert(batch);
  }
}

/** Record `from` with another id (and optionally other metadata): same vectors, new document. */
export function copyAs(from: M3Record, id: string, metadata?: M3Record['metadata']): M3Record {
  return { ...from, id, ...(metadata === undefined ? {} : { metadata }) };
}
