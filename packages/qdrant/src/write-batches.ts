import {
  AbortedError,
  BackendError,
  throwIfAborted,
  type M3Record,
  type WriteFailure,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import {
  finishWrite,
  prepareDeletes,
  prepareWrites,
  writeBatches,
  type WriteItem,
} from '@m3kit/core/adapter';
import { toM3Error } from './errors.js';
import { pointIdFor } from './point-id.js';
import { encodePoint, preparePoint, type PreparedPoint } from './record-codec.js';
import { IDS_PER_REQUEST, type QdrantContext } from './transport.js';

const BACKEND = 'qdrant';

/**
 * Upserts through core's adapter kit: each id's last occurrence wins, a bad record fails alone
 * with its reason in the report, batches are bounded by bytes and points, `write.concurrency` run
 * at once, each retried with backoff; an abort stops between batches.
 */
export async function upsertRecords(
  context: QdrantContext,
  records: readonly M3Record[],
  options: WriteOptions | undefined,
): Promise<WriteReport> {
  throwIfAborted(options?.signal, 'upsert');
  const toError = (error: unknown) => toM3Error(error, 'upsert');
  const prepared = prepareWrites(records, context.collection, {
    prepare: (record) => preparePoint(record, context.collection, context.options),
    toError,
    backend: BACKEND,
  });
  const wait = options?.wait ?? true;
  const report = await writeBatches({
    backend: BACKEND,
    operation: 'upsert',
    items: prepared.items,
    settings: context.options.write,
    sizeOf: (item) => item.value.bytes,
    send: (batch, signal) => sendPoints(context, batch, wait, signal),
    signal: options?.signal,
    toError,
  });
  return finishWrite(
    BACKEND,
    { written: report.written, failed: [...prepared.failed, ...report.failed] },
    options,
  );
}

/**
 * Sends one batch. A batch the server rejects outright (a 4xx about its content) is split in
 * halves until the rejected points are isolated, so one bad point does not fail its neighbours;
 * other failures of the whole batch are thrown for the kit to retry or report.
 */
async function sendPoints(
  context: QdrantContext,
  batch: readonly WriteItem<PreparedPoint>[],
  wait: boolean,
  signal: AbortSignal | undefined,
): Promise<WriteFailure[]> {
  try {
    await upsertPoints(context, batch, wait, signal);
    return [];
  } catch (error) {
    const m3Error = toM3Error(error, 'upsert');
    if (AbortedError.isInstance(m3Error) || !isRejection(m3Error)) throw m3Error;
    return isolateRejected(context, batch, wait, signal, m3Error);
  }
}

async function isolateRejected(
  context: QdrantContext,
  batch: readonly WriteItem<PreparedPoint>[],
  wait: boolean,
  signal: AbortSignal | undefined,
  error: BackendError,
): Promise<WriteFailure[]> {
  if (batch.length === 1) return [{ id: batch[0]!.id, error }];
  const middle = Math.ceil(batch.length / 2);
  const failures: WriteFailure[] = [];
  for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
    try {
      await upsertPoints(context, half, wait, signal);
    } catch (caught) {
      const m3Error = toM3Error(caught, 'upsert');
      if (AbortedError.isInstance(m3Error)) throw m3Error;
      // A retryable failure is reported per id: the kit sends those ids again with backoff.
      if (isRejection(m3Error))
        failures.push(...(await isolateRejected(context, half, wait, signal, m3Error)));
      else failures.push(...half.map((item) => ({ id: item.id, error: m3Error })));
    }
  }
  return failures;
}

function upsertPoints(
  context: QdrantContext,
  batch: readonly WriteItem<PreparedPoint>[],
  wait: boolean,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const { collection, options, transport } = context;
  const points = batch.map((item) => encodePoint(item.value, collection, options));
  return transport.call(
    'upsert',
    (client) => client.upsert(collection.name, { wait, points }),
    signal,
  );
}

/** A 4xx about the request's content (not a missing collection): some point in it is bad. */
function isRejection(error: unknown): error is BackendError {
  return (
    BackendError.isInstance(error) &&
    !error.isRetryable &&
    error.statusCode !== undefined &&
    error.statusCode >= 400 &&
    error.statusCode < 500 &&
    error.statusCode !== 404
  );
}

/** Deletes by document id (each once, bad ids reported), `IDS_PER_REQUEST` a request; ids that do not exist count as written. */
export async function deleteRecords(
  context: QdrantContext,
  ids: readonly string[],
  options: WriteOptions | undefined,
): Promise<WriteReport> {
  throwIfAborted(options?.signal, 'delete');
  const toError = (error: unknown) => toM3Error(error, 'delete');
  const prepared = prepareDeletes(ids, { toError, backend: BACKEND });
  const { collection, transport } = context;
  const wait = options?.wait ?? true;
  const report = await writeBatches({
    backend: BACKEND,
    operation: 'delete',
    items: prepared.ids.map((id) => ({
      id,
      value: pointIdFor(id, context.options.pointIdNamespace),
    })),
    settings: { ...context.options.write, maxBatchRecords: IDS_PER_REQUEST },
    send: async (batch, signal) => {
      const points = batch.map((item) => item.value);
      await transport.call(
        'delete',
        (client) => client.delete(collection.name, { wait, points }),
        signal,
      );
    },
    signal: options?.signal,
    toError,
  });
  return finishWrite(
    BACKEND,
    { written: report.written, failed: [...prepared.failed, ...report.failed] },
    options,
  );
}
