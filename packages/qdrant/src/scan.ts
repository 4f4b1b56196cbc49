import {
  resolvePageSize,
  throwIfAborted,
  validateFilter,
  type MetadataFieldType,
  type ScannedRecord,
  type ScanOptions,
} from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { translateValidatedFilter, type QdrantFilter } from './filter-translation.js';
import type { ResolvedQdrantOptions } from './options.js';
import { isMetadata } from './record-codec.js';
import type { QdrantContext } from './transport.js';

/**
 * Every m3kit point (matching the filter) as document id + metadata, a page at a time, by
 * Qdrant's scroll: it walks points in point-id order from an offset, so each point comes once
 * while nothing writes. The id is the document id from the payload, never the point's UUID;
 * points without one (not written by m3kit) are left out. Aborting stops between pages.
 */
export async function* scanRecords(
  context: QdrantContext,
  fieldTypes: ReadonlyMap<string, MetadataFieldType>,
  options: ScanOptions | undefined,
): AsyncIterable<readonly ScannedRecord[]> {
  const signal = options?.signal;
  throwIfAborted(signal, 'scan');
  if (options?.filter !== undefined) validateFilter(options.filter);
  const limit = resolvePageSize(options?.pageSize);
  const { collection, transport } = context;
  const keys = context.options.payloadKeys;
  const filter =
    options?.filter === undefined
      ? undefined
      : translateValidatedFilter(options.filter, { metadataKey: keys.metadata, fieldTypes });
  let offset: string | number | undefined;
  do {
    throwIfAborted(signal, 'scan');
    const request = scrollRequest(keys, limit, filter, offset);
    const page = await transport.retrying(
      'scan',
      (client) => client.scroll(collection.name, request),
      signal,
    );
    const records = scannedRecords(page.points, keys);
    if (records.length > 0) yield records;
    const next = page.next_page_offset;
    offset = typeof next === 'string' || typeof next === 'number' ? next : undefined;
  } while (offset !== undefined);
}

/** One scroll request: the id and metadata payload keys only, no vectors. */
export function scrollRequest(
  keys: ResolvedQdrantOptions['payloadKeys'],
  limit: number,
  filter: QdrantFilter | undefined,
  offset: string | number | undefined,
): Schemas['ScrollRequest'] {
  return {
    limit,
    with_payload: [keys.id, keys.metadata],
    with_vector: false,
    ...(filter ? { filter } : {}),
    ...(offset !== undefined ? { offset } : {}),
  };
}

/** A scroll page's points as scanned records: document ids from the payload; foreign points left out. */
export function scannedRecords(
  points: ReadonlyArray<Pick<Schemas['Record'], 'payload'>>,
  keys: ResolvedQdrantOptions['payloadKeys'],
): ScannedRecord[] {
  const records: ScannedRecord[] = [];
  for (const point of points) {
    const id = point.payload?.[keys.id];
    if (typeof id !== 'string') continue;
    const metadata = point.payload?.[keys.metadata];
    records.push(isMetadata(metadata) ? { id, metadata } : { id });
  }
  return records;
}
