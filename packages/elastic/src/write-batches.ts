import {
  BackendError,
  type M3Record,
  type ResolvedCollectionSpec,
  type WriteFailure,
  type WriteReport,
} from '@m3kit/core';
import {
  prepareDeletes as prepareDeleteIds,
  prepareWrites,
  writeBatches,
  type WriteItem,
} from '@m3kit/core/adapter';
import { BACKEND, bulkItemError, toM3Error } from './errors.js';
import type { RefreshPolicy, ResolvedElasticOptions } from './options.js';
import { encodeDocument } from './record-codec.js';
import type { IndexLayout } from './schema.js';
import type { ElasticTransport } from './transport.js';

/** One bulk action: its NDJSON lines and their size. */
export interface BulkAction {
  readonly action: 'index' | 'delete';
  readonly lines: string;
  readonly bytes: number;
}

/** What a write sends (each id once), and the ids that failed before sending. */
export interface PreparedWrite {
  readonly items: readonly WriteItem<BulkAction>[];
  readonly failed: readonly WriteFailure[];
}

interface BulkResponse {
  readonly errors: boolean;
  readonly items: readonly Record<
    string,
    { readonly _id?: string; readonly status: number; readonly error?: unknown }
  >[];
}

/**
 * Validates and encodes records for `_bulk` with core's prepareWrites: an id given more than once
 * counts once, its last occurrence winning alone; a record that fails core's validateRecord (which
 * includes each metadata value against its declared field type) fails alone, with the reason.
 */
export function prepareUpserts(
  records: readonly M3Record[],
  collection: ResolvedCollectionSpec,
  layout: IndexLayout,
): PreparedWrite {
  const prepared = prepareWrites(records, collection, {
    backend: BACKEND,
    toError: (error) => toM3Error(error, 'write'),
    prepare: (record): BulkAction => {
      const source = encodeDocument(record, collection, layout.colbertEncoding, layout.colbertMean);
      const lines = `${JSON.stringify({ index: { _id: record.id } })}\n${JSON.stringify(source)}`;
      return { action: 'index', lines, bytes: Buffer.byteLength(lines) + 2 };
    },
  });
  return { items: prepared.items.map(({ id, value }) => ({ id, value })), failed: prepared.failed };
}

/** Validates ids for deletion (each id once). */
export function prepareDeletes(ids: readonly string[]): PreparedWrite {
  const prepared = prepareDeleteIds(ids, {
    backend: BACKEND,
    toError: (error) => toM3Error(error, 'delete'),
  });
  return {
    items: prepared.ids.map((id) => {
      const lines = JSON.stringify({ delete: { _id: id } });
      return { id, value: { action: 'delete', lines, bytes: Buffer.byteLength(lines) + 1 } };
    }),
    failed: prepared.failed,
  };
}

/**
 * Sends the actions as bulk requests with core's writeBatches (batches by bytes and count, a few
 * in flight, core's retry for a failed request and for items refused with 429/5xx). Each id ends
 * in `written` or `failed`.
 */
export function runBulk(
  transport: ElasticTransport,
  items: readonly WriteItem<BulkAction>[],
  settings: ResolvedElasticOptions['write'],
  refresh: RefreshPolicy,
  signal?: AbortSignal,
): Promise<WriteReport> {
  return writeBatches({
    backend: BACKEND,
    operation: 'bulk write',
    items,
    settings,
    sizeOf: (item) => item.value.bytes,
    signal,
    toError: (error) => toM3Error(error, 'write'),
    send: async (batch, batchSignal) => {
      const response = await transport.request<BulkResponse>(
        {
          method: 'POST',
          path: '/_bulk',
          what: 'bulk write',
          querystring: { refresh, filter_path: 'errors,items.*.status,items.*.error' },
          bulkBody: batch.map((item) => item.value.lines),
          retry: false,
        },
        batchSignal,
      );
      return itemFailures(batch, response);
    },
  });
}

/** The ids a bulk response refused, with why (a 404 on delete is success: nothing to delete). */
function itemFailures(
  batch: readonly WriteItem<BulkAction>[],
  response: BulkResponse,
): WriteFailure[] {
  const failures: WriteFailure[] = [];
  const items = response.items ?? [];
  batch.forEach((operation, i) => {
    const item = items[i] === undefined ? undefined : Object.values(items[i]!)[0];
    if (item === undefined) {
      failures.push({
        id: operation.id,
        error: new BackendError({
          backend: BACKEND,
          message: 'bulk response lacks this item',
          isRetryable: true,
        }),
      });
    } else if (
      !(item.status < 300 || (item.status === 404 && operation.value.action === 'delete'))
    ) {
      failures.push({
        id: operation.id,
        error: bulkItemError(item.status, item.error, operation.id),
      });
    }
  });
  return failures;
}
