import type { Filter, M3StoreV1 } from '@m3kit/core';

const PROBE = 64;
const PROBE_DOCUMENTS = 16;

/**
 * Deletes documents by the ids they were added with: every chunk (`id#n`) of each. An id that
 * already names a chunk (`id#n`) deletes that chunk only. Works on any store: chunk ids are
 * probed with `get`, so it needs no scan support.
 */
export async function deleteDocuments(store: M3StoreV1, ids: readonly string[], signal?: AbortSignal): Promise<void> {
  const options = signal ? { signal } : {};
  const chunkIds = ids.filter((id) => id.includes('#'));
  if (chunkIds.length > 0) await store.delete(chunkIds, options);
  const documentIds = [...new Set(ids.filter((id) => !id.includes('#')))];
  for (let i = 0; i < documentIds.length; i += PROBE_DOCUMENTS) {
    await deleteChunksOf(store, documentIds.slice(i, i + PROBE_DOCUMENTS), options);
  }
}

async function deleteChunksOf(store: M3StoreV1, documentIds: readonly string[], options: { signal?: AbortSignal }): Promise<void> {
  let pending = documentIds.map((documentId) => ({ documentId, from: 0 }));
  while (pending.length > 0) {
    const probes = pending.flatMap(({ documentId, from }) => Array.from({ length: PROBE }, (_, i) => `${documentId}#${from + i}`));
    const found = new Set((await store.get(probes, options)).map((record) => record.id));
    if (found.size === 0) return;
    await store.delete([...found], options);
    pending = pending
      .filter(({ documentId, from }) => found.has(`${documentId}#${from + PROBE - 1}`))
      .map(({ documentId, from }) => ({ documentId, from: from + PROBE }));
  }
}

/**
 * Deletes every record whose metadata matches `filter`, a page at a time, through the store's
 * `scan`. Returns how many were deleted. A store without scan support says so (UnsupportedError).
 */
export async function deleteByFilter(store: M3StoreV1, filter: Filter, signal?: AbortSignal): Promise<number> {
  const options = signal ? { signal } : {};
  let deleted = 0;
  // Collected first: deleting while paging could make a backend's cursor skip records.
  const ids: string[] = [];
  for await (const page of store.scan({ filter, ...options })) ids.push(...page.map((record) => record.id));
  for (let i = 0; i < ids.length; i += 1000) {
    const batch = ids.slice(i, i + 1000);
    await store.delete(batch, options);
    deleted += batch.length;
  }
  return deleted;
}
