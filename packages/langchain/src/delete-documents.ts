import { SYNC_FIELDS, filters, type Filter, type M3StoreV1 } from '@m3kit/core';

const DOCUMENTS_PER_SCAN = 256;

/**
 * Deletes documents by the ids they were added with: every chunk (`id#fingerprint#n`) of each,
 * found by a scan on `m3_document_id` (what ingest() stores on every chunk). An id that already
 * names a chunk (contains `#`) deletes that chunk only.
 */
export async function deleteDocuments(
  store: M3StoreV1,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<void> {
  const options = signal ? { signal } : {};
  const chunkIds = ids.filter((id) => id.includes('#'));
  if (chunkIds.length > 0) await store.delete(chunkIds, options);
  const documentIds = [...new Set(ids.filter((id) => !id.includes('#')))];
  for (let i = 0; i < documentIds.length; i += DOCUMENTS_PER_SCAN) {
    await deleteByFilter(
      store,
      filters.in(SYNC_FIELDS.documentId, documentIds.slice(i, i + DOCUMENTS_PER_SCAN)),
      signal,
    );
  }
}

/**
 * Deletes every record whose metadata matches `filter`, a page at a time, through the store's
 * `scan`. Returns how many were deleted. A store without scan support says so (UnsupportedError).
 */
export async function deleteByFilter(
  store: M3StoreV1,
  filter: Filter,
  signal?: AbortSignal,
): Promise<number> {
  const options = signal ? { signal } : {};
  let deleted = 0;
  // Collected first: deleting while paging could make a backend's cursor skip records.
  const ids: string[] = [];
  for await (const page of store.scan({ filter, ...options }))
    ids.push(...page.map((record) => record.id));
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    await store.delete(batch, options);
    deleted += batch.length;
  }
  return deleted;
}
