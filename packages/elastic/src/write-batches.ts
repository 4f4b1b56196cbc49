import {
  AbortedError,
  BackendError,
  type M3Error,
  batchBySize,
  mapWithConcurrency,
  validateId,
  validateRecord,
  type M3Record,
  type MetadataFieldType,
  type ResolvedCollectionSpec,
  type WriteFailure,
} from '@m3kit/core';
import { BACKEND, bulkItemError, isRetryableStatus, toM3Error } from './errors.js';
import type { RefreshPolicy, ResolvedElasticOptions } from './options.js';
import { checkMetadataTypes, encodeDocument } from './record-codec.js';
import type { IndexLayout } from './schema.js';
import type { ElasticTransport } from './transport.js';

/** One bulk action: its NDJSON lines and their size. */
export interface BulkOperation {
  readonly id: string;
  readonly action: 'index' | 'delete';
  readonly lines: string;
  readonly bytes: number;
}

/** What a write sends, and the ids that failed before sending (each id once). */
export interface PreparedWrite {
  readonly operations: readonly BulkOperation[];
  readonly failed: WriteFailure[];
}

interface BulkResponse {
  readonly errors: boolean;
  readonly items: readonly Record<string, { readonly _id?: string; readonly status: number; readonly error?: unknown }>[];
}

/**
 * Validates and encodes records for `_bulk`; a record that fails validation fails alone. An id
 * given more than once counts once: its last occurrence wins, valid or not (earlier ones are not
 * sent), so two versions of one id never race in concurrent bulk requests.
 */
export function prepareUpserts(records: readonly M3Record[], collection: ResolvedCollectionSpec, layout: IndexLayout): PreparedWrite {
  const fieldTypes: ReadonlyMap<string, MetadataFieldType> = new Map(collection.metadataFields.map((field) => [field.name, field.type]));
  return prepare(records, (record) => failureId(record?.id), (record) => {
    validateRecord(record, collection);
    checkMetadataTypes(record.metadata, fieldTypes, record.id);
    const source = encodeDocument(record, collection, layout.colbertEncoding, layout.colbertMean);
    const lines = `${JSON.stringify({ index: { _id: record.id } })}\n${JSON.stringify(source)}`;
    return { id: record.id, action: 'index', lines, bytes: Buffer.byteLength(lines) + 2 };
  });
}

/** Validates ids for deletion (each id once). */
export function prepareDeletes(ids: readonly string[]): PreparedWrite {
  return prepare(ids, failureId, (id) => {
    validateId(id);
    const lines = JSON.stringify({ delete: { _id: id } });
    return { id, action: 'delete', lines, bytes: Buffer.byteLength(lines) + 1 };
  });
}

function prepare<T>(items: readonly T[], idOf: (item: T) => string, encode: (item: T) => BulkOperation): PreparedWrite {
  const outcome = new Map<string, BulkOperation | WriteFailure>();
  for (const item of items) {
    const id = idOf(item);
    // Deleting first moves a repeated id to its last place: the last occurrence decides alone.
    outcome.delete(id);
    try {
      outcome.set(id, encode(item));
    } catch (error) {
      outcome.set(id, { id, error: toM3Error(error, 'write') });
    }
  }
  const operations: BulkOperation[] = [];
  const failed: WriteFailure[] = [];
  for (const value of outcome.values()) {
    if ('lines' in value) operations.push(value);
    else failed.push(value);
  }
  return { operations, failed };
}

function failureId(id: unknown): string {
  return typeof id === 'string' ? id : String(id);
}

/**
 * Sends operations as bulk requests, batched by bytes and count, a few at a time. Each id ends in
 * the returned list or in `failed`: retryable item failures (429, 5xx) are sent again with core's
 * backoff; a request that keeps failing fails all of its ids with the error.
 */
export async function runBulk(
  transport: ElasticTransport,
  operations: readonly BulkOperation[],
  settings: ResolvedElasticOptions['write'],
  refresh: RefreshPolicy,
  failed: WriteFailure[],
  signal?: AbortSignal,
): Promise<string[]> {
  const batches = batchBySize(operations, (operation) => operation.bytes, { maxBytes: settings.maxBatchBytes, maxItems: settings.maxBatchRecords });
  const writtenByBatch = await mapWithConcurrency(
    batches,
    settings.concurrency,
    (batch) => sendBatch(transport, batch, refresh, failed, signal),
    signal,
  );
  return writtenByBatch.flat();
}

async function sendBatch(
  transport: ElasticTransport,
  batch: readonly BulkOperation[],
  refresh: RefreshPolicy,
  failed: WriteFailure[],
  signal?: AbortSignal,
): Promise<string[]> {
  const written: string[] = [];
  let pending = batch;
  // The item errors of the last attempt, reported for items still pending when retries run out.
  let itemErrors = new Map<string, M3Error>();
  const attempt = async (): Promise<void> => {
    itemErrors = new Map();
    const response = await transport.request<BulkResponse>(
      {
        method: 'POST',
        path: '/_bulk',
        what: 'bulk write',
        querystring: { refresh, filter_path: 'errors,items.*.status,items.*.error' },
        bulkBody: pending.map((operation) => operation.lines),
        retry: false,
      },
      signal,
    );
    const again: BulkOperation[] = [];
    const items = response.items ?? [];
    pending.forEach((operation, i) => {
      const item = items[i] === undefined ? undefined : Object.values(items[i]!)[0];
      if (item === undefined) {
        failed.push({ id: operation.id, error: new BackendError({ backend: BACKEND, message: 'bulk response lacks this item', isRetryable: true }) });
      } else if (item.status < 300 || (item.status === 404 && operation.action === 'delete')) {
        written.push(operation.id);
      } else if (isRetryableStatus(item.status)) {
        again.push(operation);
        itemErrors.set(operation.id, bulkItemError(item.status, item.error, operation.id));
      } else {
        failed.push({ id: operation.id, error: bulkItemError(item.status, item.error, operation.id) });
      }
    });
    pending = again;
    if (again.length > 0) {
      throw new BackendError({ backend: BACKEND, message: `${again.length} bulk items rejected for now (429/5xx)`, isRetryable: true });
    }
  };
  try {
    // Core's backoff for both a failed request and items the server asked to send again.
    await transport.withRetry(attempt, signal);
  } catch (error) {
    if (AbortedError.isInstance(error)) throw error;
    for (const operation of pending) failed.push({ id: operation.id, error: itemErrors.get(operation.id) ?? toM3Error(error, 'write') });
  }
  return written;
}
