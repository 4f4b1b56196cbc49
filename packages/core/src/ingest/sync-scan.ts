import { filters } from '../filter/filter.js';
import type { M3StoreV1, ScannedRecord } from '../store/store-v1.js';
import { SYNC_FIELDS } from './sync-fields.js';
import { groupVersions, type DocumentVersion } from './versions.js';

/** Document ids per scan filter: an `in` filter of a few hundred values suits every backend. */
const IDS_PER_SCAN = 256;
/** Ids per delete request. */
const IDS_PER_DELETE = 1000;

/** What the store holds for these documents, grouped into versions (documents not stored are absent). */
export async function scanVersions(
  store: M3StoreV1,
  documentIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, DocumentVersion[]>> {
  const records: ScannedRecord[] = [];
  for (let i = 0; i < documentIds.length; i += IDS_PER_SCAN) {
    const filter = filters.in(SYNC_FIELDS.documentId, documentIds.slice(i, i + IDS_PER_SCAN));
    for await (const page of store.scan({ filter, ...(signal ? { signal } : {}) }))
      records.push(...page);
  }
  return groupVersions(records);
}

/** Deletes chunk ids in requests of a bounded size; a failure throws (the next run finds them again). */
export async function deleteChunks(
  store: M3StoreV1,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; i < ids.length; i += IDS_PER_DELETE) {
    await store.delete(ids.slice(i, i + IDS_PER_DELETE), signal ? { signal } : {});
  }
}
