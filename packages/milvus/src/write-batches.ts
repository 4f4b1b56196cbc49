import {
  batchBySize,
  chunk,
  estimateRecordJsonBytes,
  finishWrite,
  prepareDeletes,
  prepareWrites,
  writeBatches,
  type ResolvedAdapterWriteOptions,
  type WriteItem,
} from '@m3kit/core/adapter';
import type { M3Record, ResolvedCollectionSpec, WriteOptions, WriteReport } from '@m3kit/core';
import type { RowData } from '@zilliz/milvus2-sdk-node';
import { COLBERT_FIELDS, FIELDS, colbertCollectionName, documentKey } from './collection-layout.js';
import { BACKEND, toM3Error } from './errors.js';
import { inList } from './filter-translation.js';
import { checkDeclaredTypes, colbertRowsOf, mainRowOf } from './record-codec.js';
import { IDS_PER_EXPRESSION, request, type RequestContext } from './transport.js';

/**
 * Runs a store's write calls one at a time. Milvus' upsert is a delete plus an insert, not
 * atomic: two concurrent upserts of one id can both insert and leave a duplicate row (seen on
 * Milvus Lite 2.5.1 under load). Within a call, ids are unique and batches run concurrently.
 */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/**
 * The kit's batches, without its per-batch retry: a Milvus batch is several requests (ColBERT
 * rows, stale-row delete, document rows) and transport.ts already retries each one, so retrying
 * the batch too would multiply the attempts.
 */
function batchSettings(settings: ResolvedAdapterWriteOptions): ResolvedAdapterWriteOptions {
  return { ...settings, retry: { ...settings.retry, retries: 0 } };
}

/** `upsert`: the kit validates (last occurrence of an id wins) and batches; each batch is written as below. */
export async function upsertRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  settings: ResolvedAdapterWriteOptions,
  queue: WriteQueue,
  records: readonly M3Record[],
  options?: WriteOptions,
): Promise<WriteReport> {
  const prepared = prepareWrites(records, spec, {
    prepare: (record) => {
      checkDeclaredTypes(record, spec);
      return record;
    },
    toError: (error) => toM3Error(error, 'upsert'),
    backend: BACKEND,
  });
  const report = await queue.run(() =>
    writeBatches<M3Record>({
      backend: BACKEND,
      operation: 'upsert',
      items: prepared.items.map((item) => ({ id: item.id, value: item.value })),
      settings: batchSettings(settings),
      sizeOf: (item) => estimateRecordJsonBytes(item.value),
      send: (batch) => writeBatch(context, spec, settings, batch),
      signal: context.signal,
      toError: (error) => toM3Error(error, 'upsert'),
    }),
  );
  return finishWrite(
    BACKEND,
    { written: report.written, failed: [...prepared.failed, ...report.failed] },
    options,
  );
}

/**
 * One batch: ColBERT rows first (keys `<document key>:<row>` overwrite in place), then the rows
 * beyond each document's new row count are deleted, then the main rows. A document thus never
 * shows in dense/sparse search without its token vectors, and re-ingesting never leaves stale rows.
 */
async function writeBatch(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  settings: ResolvedAdapterWriteOptions,
  batch: readonly WriteItem<M3Record>[],
): Promise<void> {
  const records = batch.map((item) => item.value);
  if (spec.signals.includes('colbert')) {
    const colbertName = colbertCollectionName(spec.name);
    const rows = records.flatMap((record) => colbertRowsOf(record));
    const rowBytes = 64 + spec.denseDimension * 12;
    for (const piece of batchBySize(rows, () => rowBytes, {
      maxBytes: settings.maxBatchBytes,
      maxItems: settings.maxBatchRecords,
    })) {
      await request(context, `upsert ${piece.length} ColBERT rows`, () =>
        context.client.upsert({ collection_name: colbertName, data: piece as RowData[] }),
      );
    }
    await deleteStaleColbertRows(context, colbertName, records);
  }
  const mainRows = records.map((record) => mainRowOf(record, spec));
  await request(context, `upsert ${mainRows.length} documents`, () =>
    context.client.upsert({ collection_name: spec.name, data: mainRows as RowData[] }),
  );
}

async function deleteStaleColbertRows(
  context: RequestContext,
  colbertName: string,
  records: readonly M3Record[],
): Promise<void> {
  const byRowCount = new Map<number, string[]>();
  for (const record of records) {
    const rows = record.embedding.colbert!.rows;
    byRowCount.set(rows, [...(byRowCount.get(rows) ?? []), record.id]);
  }
  const clauses = [...byRowCount].flatMap(([rows, ids]) =>
    chunk(ids, IDS_PER_EXPRESSION).map(
      (piece) =>
        `(${COLBERT_FIELDS.row} >= ${rows} and ${inList(COLBERT_FIELDS.documentKey, piece.map(documentKey))})`,
    ),
  );
  for (const piece of chunk(clauses, 50)) {
    await request(context, 'delete stale ColBERT rows', () =>
      context.client.delete({ collection_name: colbertName, filter: piece.join(' or ') }),
    );
  }
}

/** `delete`: the document rows first, so it stops matching any signal, then its token vectors. */
export async function deleteRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  settings: ResolvedAdapterWriteOptions,
  queue: WriteQueue,
  ids: readonly string[],
  options?: WriteOptions,
): Promise<WriteReport> {
  const prepared = prepareDeletes(ids, {
    toError: (error) => toM3Error(error, 'delete'),
    backend: BACKEND,
  });
  const colbertName = colbertCollectionName(spec.name);
  const send = async (batch: readonly WriteItem<string>[]): Promise<void> => {
    const keys = batch.map((item) => documentKey(item.id));
    await request(context, `delete ${keys.length} documents`, () =>
      context.client.delete({ collection_name: spec.name, filter: inList(FIELDS.key, keys) }),
    );
    if (spec.signals.includes('colbert')) {
      await request(context, `delete ColBERT rows of ${keys.length} documents`, () =>
        context.client.delete({
          collection_name: colbertName,
          filter: inList(COLBERT_FIELDS.documentKey, keys),
        }),
      );
    }
  };
  const report = await queue.run(() =>
    writeBatches<string>({
      backend: BACKEND,
      operation: 'delete',
      items: prepared.ids.map((id) => ({ id, value: id })),
      // Deletes are expressions of ids, not rows: one request per IDS_PER_EXPRESSION ids, one at a time.
      settings: { ...batchSettings(settings), maxBatchRecords: IDS_PER_EXPRESSION, concurrency: 1 },
      send,
      signal: context.signal,
      toError: (error) => toM3Error(error, 'delete'),
    }),
  );
  return finishWrite(
    BACKEND,
    { written: report.written, failed: [...prepared.failed, ...report.failed] },
    options,
  );
}
