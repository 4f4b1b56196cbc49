import {
  AbortedError,
  batchBySize,
  estimateRecordJsonBytes,
  finishWrite,
  mapWithConcurrency,
  validateId,
  validateRecord,
  type M3Error,
  type M3Record,
  type ResolvedCollectionSpec,
  type WriteFailure,
  type WriteOptions,
  type WriteReport,
} from '@m3kit/core';
import type { RowData } from '@zilliz/milvus2-sdk-node';
import { COLBERT_FIELDS, FIELDS, colbertCollectionName, documentKey } from './collection-layout.js';
import { BACKEND, toM3Error } from './errors.js';
import { inList } from './filter-translation.js';
import { checkDeclaredTypes, colbertRowsOf, mainRowOf } from './record-codec.js';
import { IDS_PER_EXPRESSION, chunk, request, type RequestContext } from './transport.js';

/** How writes are cut into requests (options.ts resolves them). */
export interface WriteSettings {
  /** Rows per insert request. */
  readonly maxBatchRecords: number;
  /** Largest write batch, as core's JSON estimate of its records. */
  readonly maxBatchBytes: number;
  /** Batches in flight at once. */
  readonly concurrency: number;
}

/** Records per batch of one upsert call: the unit that runs concurrently and fails together. */
const RECORDS_PER_BATCH = 500;

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

export async function upsertRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  settings: WriteSettings,
  queue: WriteQueue,
  records: readonly M3Record[],
  options?: WriteOptions,
): Promise<WriteReport> {
  const valid: M3Record[] = [];
  const failed: WriteFailure[] = [];
  for (const record of records) {
    try {
      validateRecord(record, spec);
      checkDeclaredTypes(record, spec);
      valid.push(record);
    } catch (error) {
      failed.push({ id: String(record?.id), error: toM3Error(error, 'upsert') });
    }
  }
  // Within one call the last record of an id wins, as in the exact store; Milvus would keep both.
  const last = new Map(valid.map((record, index) => [record.id, index]));
  const unique = valid.filter((record, index) => last.get(record.id) === index);
  const batches = batchBySize(unique, estimateRecordJsonBytes, { maxBytes: settings.maxBatchBytes, maxItems: RECORDS_PER_BATCH });
  const batchFailures = await queue.run(() =>
    mapWithConcurrency(
      batches,
      settings.concurrency,
      async (batch) => {
        try {
          await writeBatch(context, spec, settings, batch);
          return [];
        } catch (error) {
          if (AbortedError.isInstance(error)) throw error;
          const translated = toM3Error(error, 'upsert');
          return batch.map((record) => ({ id: record.id, error: translated }));
        }
      },
      options?.signal,
    ),
  );
  const failedInBatches = batchFailures.flat();
  const failedIds = new Set(failedInBatches.map((failure) => failure.id));
  return finishWrite(
    BACKEND,
    { written: valid.filter((record) => !failedIds.has(record.id)).map((record) => record.id), failed: [...failed, ...failedInBatches] },
    options,
  );
}

/**
 * One batch: ColBERT rows first (keys `<row>|<id>` overwrite in place), then the rows beyond each
 * document's new row count are deleted, then the main row. A document thus never shows in
 * dense/sparse search without its token vectors, and re-ingesting never leaves stale rows.
 */
async function writeBatch(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  settings: WriteSettings,
  batch: readonly M3Record[],
): Promise<void> {
  if (spec.signals.includes('colbert')) {
    const colbertName = colbertCollectionName(spec.name);
    const rows = batch.flatMap((record) => colbertRowsOf(record));
    const rowBytes = 64 + spec.denseDimension * 12;
    for (const piece of batchBySize(rows, () => rowBytes, { maxBytes: settings.maxBatchBytes, maxItems: settings.maxBatchRecords })) {
      await request(context, `upsert ${piece.length} ColBERT rows`, () =>
        context.client.upsert({ collection_name: colbertName, data: piece as RowData[] }),
      );
    }
    await deleteStaleColbertRows(context, colbertName, batch);
  }
  for (const piece of chunk(batch, settings.maxBatchRecords)) {
    const mainRows = piece.map((record) => mainRowOf(record, spec));
    await request(context, `upsert ${mainRows.length} documents`, () =>
      context.client.upsert({ collection_name: spec.name, data: mainRows as RowData[] }),
    );
  }
}

async function deleteStaleColbertRows(context: RequestContext, colbertName: string, batch: readonly M3Record[]): Promise<void> {
  const byRowCount = new Map<number, string[]>();
  for (const record of batch) {
    const rows = record.embedding.colbert!.rows;
    byRowCount.set(rows, [...(byRowCount.get(rows) ?? []), record.id]);
  }
  const clauses = [...byRowCount].flatMap(([rows, ids]) =>
    chunk(ids, IDS_PER_EXPRESSION).map(
      (piece) => `(${COLBERT_FIELDS.row} >= ${rows} and ${inList(COLBERT_FIELDS.documentKey, piece.map(documentKey))})`,
    ),
  );
  for (const piece of chunk(clauses, 50)) {
    await request(context, 'delete stale ColBERT rows', () =>
      context.client.delete({ collection_name: colbertName, filter: piece.join(' or ') }),
    );
  }
}

export async function deleteRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  queue: WriteQueue,
  ids: readonly string[],
  options?: WriteOptions,
): Promise<WriteReport> {
  ids.forEach((id) => validateId(id));
  const hasColbert = spec.signals.includes('colbert');
  const colbertName = colbertCollectionName(spec.name);
  const failed: WriteFailure[] = [];
  await queue.run(async () => {
    for (const piece of chunk([...new Set(ids)], IDS_PER_EXPRESSION)) {
      try {
        // The document first, so it stops matching any signal, then its token vectors.
        await request(context, `delete ${piece.length} documents`, () =>
          context.client.delete({ collection_name: spec.name, filter: inList(FIELDS.key, piece.map(documentKey)) }),
        );
        if (hasColbert) {
          await request(context, `delete ColBERT rows of ${piece.length} documents`, () =>
            context.client.delete({ collection_name: colbertName, filter: inList(COLBERT_FIELDS.documentKey, piece.map(documentKey)) }),
          );
        }
      } catch (error) {
        if (AbortedError.isInstance(error)) throw error;
        const translated: M3Error = toM3Error(error, 'delete');
        failed.push(...piece.map((id) => ({ id, error: translated })));
      }
    }
  });
  const failedIds = new Set(failed.map((f) => f.id));
  return finishWrite(BACKEND, { written: ids.filter((id) => !failedIds.has(id)), failed }, options);
}
