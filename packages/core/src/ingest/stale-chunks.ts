import type { M3Record } from '../document.js';
import type { M3StoreV1 } from '../store/store-v1.js';

const PROBE = 64;

/**
 * After a document's chunks `docId#0..n-1` are written, removes `docId#n` and beyond left by an
 * earlier, longer version of the same document, so a re-ingest never leaves stale duplicates.
 * One `get` per batch in the common case (nothing stale).
 */
export async function removeStaleChunks(store: M3StoreV1, written: readonly M3Record[], signal?: AbortSignal): Promise<void> {
  const counts = new Map<string, number>();
  for (const record of written) {
    const separator = record.id.lastIndexOf('#');
    const documentId = record.id.slice(0, separator);
    counts.set(documentId, Math.max(counts.get(documentId) ?? 0, Number(record.id.slice(separator + 1)) + 1));
  }
  const options = signal ? { signal } : {};
  let next = [...counts].map(([documentId, count]) => ({ documentId, from: count, width: 1 }));
  while (next.length > 0) {
    const probes = next.flatMap(({ documentId, from, width }) =>
      Array.from({ length: width }, (_, i) => `${documentId}#${from + i}`),
    );
    const found = new Set((await store.get(probes, options)).map((r) => r.id));
    if (found.size === 0) return;
    await store.delete([...found], options);
    next = next
      .filter(({ documentId, from, width }) => found.has(`${documentId}#${from + width - 1}`))
      .map(({ documentId, from, width }) => ({ documentId, from: from + width, width: PROBE }));
  }
}
