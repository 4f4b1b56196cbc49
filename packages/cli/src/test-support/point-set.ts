import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';

/**
 * A collection's points as sorted `id fingerprint` lines: what two runs must agree on to have
 * made the same collection (chunk ids carry document id, fingerprint and chunk number). `open`
 * makes a store for the collection: first knowing its name only, to read the spec the server
 * holds, then with that spec, so opening it creates and changes nothing.
 */
export async function storedPointSet(
  open: (spec?: CollectionSpec) => M3StoreV1,
): Promise<string[]> {
  const probe = open();
  const spec = await probe.describeCollection().finally(() => probe.close());
  if (!spec) throw new Error('the collection does not exist');
  const store = open(spec);
  try {
    await store.ensureCollection();
    const lines: string[] = [];
    for await (const page of store.scan())
      for (const record of page)
        lines.push(`${record.id} ${String(record.metadata?.['m3_fingerprint'])}`);
    return lines.sort();
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** A point set's lines grouped by document id (the part of the chunk id before its first `#`). */
export function pointsByDocument(lines: readonly string[]): Map<string, string[]> {
  const byDocument = new Map<string, string[]>();
  for (const line of lines) {
    const id = line.slice(0, line.indexOf('#'));
    byDocument.set(id, [...(byDocument.get(id) ?? []), line]);
  }
  return byDocument;
}
