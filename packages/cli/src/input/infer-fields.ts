import type { M3Document, MetadataFieldSpec, MetadataFieldType, MetadataValue } from '@m3kit/core';

function typeOf(value: MetadataValue): MetadataFieldType | undefined {
  if (typeof value === 'string') return 'keyword';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (Array.isArray(value)) return 'keyword[]';
  return undefined; // null says nothing about the type
}

/**
 * The metadata fields worth indexing for filtering, from a sample of the documents: a field whose
 * values all have one type gets that type (integers and fractions together: float); a field with
 * mixed types is left unindexed (still stored). Sorted by name, so the same input gives the same
 * schema every time.
 */
export function inferMetadataFields(documents: readonly M3Document[]): MetadataFieldSpec[] {
  const types = new Map<string, MetadataFieldType | 'mixed'>();
  for (const document of documents) {
    for (const [name, value] of Object.entries(document.metadata ?? {})) {
      const type = typeOf(value);
      if (type === undefined) continue;
      const seen = types.get(name);
      if (seen === undefined || seen === type) types.set(name, type);
      else if ((seen === 'integer' && type === 'float') || (seen === 'float' && type === 'integer'))
        types.set(name, 'float');
      else types.set(name, 'mixed');
    }
  }
  return [...types]
    .filter((entry): entry is [string, MetadataFieldType] => entry[1] !== 'mixed')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, type]) => ({ name, type }));
}

/** Takes the first `count` items of an async iterable, and gives back an iterable of all of them. */
export async function peek<T>(
  source: AsyncIterable<T>,
  count: number,
): Promise<{ head: T[]; all: AsyncIterable<T> }> {
  const iterator = source[Symbol.asyncIterator]();
  const head: T[] = [];
  let done = false;
  while (head.length < count) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
  }
  async function* all(): AsyncGenerator<T> {
    yield* head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      yield next.value;
  }
  return { head, all: all() };
}
