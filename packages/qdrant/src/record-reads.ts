import { throwIfAborted, validateId, type GetOptions, type StoredRecord } from '@m3kit/core';
import { pointIdFor } from './point-id.js';
import { pointToStoredRecord } from './record-codec.js';
import { IDS_PER_REQUEST, chunk, type QdrantContext } from './transport.js';

/** `get()`: the records found, in the order asked (each id read once); missing ids are left out. */
export async function getRecords(
  context: QdrantContext,
  ids: readonly string[],
  options: GetOptions | undefined,
): Promise<readonly StoredRecord[]> {
  throwIfAborted(options?.signal, 'get');
  for (const id of ids) validateId(id);
  const found = await retrieveRecords(
    context,
    [...new Set(ids)],
    options?.includeEmbedding ?? false,
    options?.signal,
  );
  return ids.flatMap((id) => {
    const record = found.get(id);
    return record ? [record] : [];
  });
}

/** Records by document id (ids already unique), in batches, keyed by document id. */
export async function retrieveRecords(
  context: QdrantContext,
  ids: readonly string[],
  includeEmbedding: boolean,
  signal: AbortSignal | undefined,
): Promise<Map<string, StoredRecord>> {
  const pointIds = ids.map((id) => pointIdFor(id, context.options.pointIdNamespace));
  const byPoint = await retrieveByPointIds(context, pointIds, includeEmbedding, signal);
  return new Map([...byPoint.values()].map((record) => [record.id, record]));
}

/** Records by point id, keyed by point id. */
export async function retrieveByPointIds(
  context: QdrantContext,
  pointIds: readonly string[],
  includeEmbedding: boolean,
  signal: AbortSignal | undefined,
): Promise<Map<string, StoredRecord>> {
  const { collection, options } = context;
  const found = new Map<string, StoredRecord>();
  const keys = options.payloadKeys;
  const vectors = includeEmbedding ? collection.signals.map((s) => options.vectorNames[s]) : false;
  for (const part of chunk(pointIds, IDS_PER_REQUEST)) {
    const points = await context.transport.retrying(
      'retrieve',
      (client) =>
        client.retrieve(collection.name, {
          ids: [...part],
          with_payload: [keys.id, keys.text, keys.metadata],
          with_vector: vectors,
        }),
      signal,
    );
    for (const point of points) {
      const record = pointToStoredRecord(point, options, includeEmbedding);
      if (record) found.set(String(point.id), record);
    }
  }
  return found;
}
