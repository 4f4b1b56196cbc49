import {
  AbortedError,
  BackendError,
  batchBySize,
  finishWrite,
  mapWithConcurrency,
  throwIfAborted,
  validateId,
  validateRecord,
  type M3Record,
  type WriteFailure,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import { toM3Error } from './errors.js';
import { pointIdFor } from './point-id.js';
import { encodePoint, preparePoint, type PreparedPoint } from './record-codec.js';
import { IDS_PER_REQUEST, chunk, type QdrantContext } from './transport.js';

const BACKEND = 'qdrant';

/**
 * Validates every record (a bad one fails alone, with its reason in the report), keeps the last
 * occurrence of each id, and writes the rest in size-bounded batches, `write.concurrency` at once.
 */
export async function upsertRecords(context: QdrantContext, records: readonly M3Record[], options: WriteOptions | undefined): Promise<WriteReport> {
  throwIfAborted(options?.signal, 'upsert');
  const failed: WriteFailure[] = [];
  const written: string[] = [];
  // Last occurrence wins, as if the records were written one after another; batches run
  // concurrently, so two copies of an id must never travel in different batches.
  const latest = new Map<string, PreparedPoint>();
  const accepted: string[] = [];
  for (const record of records) {
    try {
      validateRecord(record, context.collection);
      latest.set(record.id, preparePoint(record, context.collection, context.options));
      accepted.push(record.id);
    } catch (error) {
      failed.push({ id: String((record as { id?: unknown } | undefined)?.id), error: toM3Error(error, 'upsert') });
    }
  }
  const batches = batchBySize([...latest.values()], (p) => p.bytes, {
    maxBytes: context.options.write.maxBatchBytes,
    maxItems: context.options.write.maxBatchRecords,
  });
  const failedIds = new Set<string>();
  await mapWithConcurrency(
    batches,
    context.options.write.concurrency,
    async (batch) => {
      for (const failure of await writeBatch(context, batch, options)) {
        failed.push(failure);
        failedIds.add(failure.id);
      }
    },
    options?.signal,
  );
  for (const id of accepted) if (!failedIds.has(id)) written.push(id);
  return finishWrite(BACKEND, { written, failed }, options);
}

/**
 * Sends one batch, retrying retryable failures. A batch the server rejects outright is split
 * in halves until the failing points are isolated, so one bad record does not fail its neighbours.
 */
async function writeBatch(context: QdrantContext, batch: readonly PreparedPoint[], options: WriteOptions | undefined): Promise<WriteFailure[]> {
  const { collection, transport } = context;
  try {
    const points = batch.map((p) => encodePoint(p, collection, context.options));
    await transport.retrying('upsert', (client) => client.upsert(collection.name, { wait: options?.wait ?? true, points }), options?.signal);
    return [];
  } catch (error) {
    if (AbortedError.isInstance(error)) throw error;
    const m3Error = toM3Error(error, 'upsert');
    if (batch.length > 1 && isSplittable(m3Error)) {
      const middle = Math.ceil(batch.length / 2);
      return [...(await writeBatch(context, batch.slice(0, middle), options)), ...(await writeBatch(context, batch.slice(middle), options))];
    }
    return batch.map((p) => ({ id: p.record.id, error: m3Error }));
  }
}

/** A 4xx that is about the request's content (not a missing collection): some point in it is bad. */
function isSplittable(error: unknown): boolean {
  return BackendError.isInstance(error) && !error.isRetryable && error.statusCode !== undefined &&
    error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 404;
}

/** Deletes by document id (each once), `IDS_PER_REQUEST` a request; ids that do not exist count as written. */
export async function deleteRecords(context: QdrantContext, ids: readonly string[], options: WriteOptions | undefined): Promise<WriteReport> {
  throwIfAborted(options?.signal, 'delete');
  ids.forEach((id) => validateId(id));
  const { collection, transport } = context;
  const failed: WriteFailure[] = [];
  const written: string[] = [];
  await mapWithConcurrency(
    chunk([...new Set(ids)], IDS_PER_REQUEST),
    context.options.write.concurrency,
    async (part) => {
      try {
        const points = part.map((id) => pointIdFor(id, context.options.pointIdNamespace));
        await transport.retrying('delete', (client) => client.delete(collection.name, { wait: options?.wait ?? true, points }), options?.signal);
        written.push(...part);
      } catch (error) {
        if (AbortedError.isInstance(error)) throw error;
        const m3Error = toM3Error(error, 'delete');
        failed.push(...part.map((id) => ({ id, error: m3Error })));
      }
    },
    options?.signal,
  );
  return finishWrite(BACKEND, { written, failed }, options);
}
