import {
  resolveScanOptions,
  throwIfAborted,
  type ResolvedCollectionSpec,
  type ScanOptions,
  type ScannedRecord,
} from '@m3kit/core';
import { FIELDS } from './collection-layout.js';
import { andExpressions, filterToExpression } from './filter-translation.js';
import { metadataOfRow } from './record-codec.js';
import { MILVUS_MAX_LIMIT } from './server-features.js';
import { queryRows, type RequestContext } from './transport.js';

/**
 * `scan`: every document (matching the filter) as id + metadata, a page at a time, from the main
 * collection only (the ColBERT companion holds token rows, not documents).
 *
 * Why key ranges and not offsets or "key > last": a Milvus query caps offset + limit at 16,384,
 * and neither Milvus nor Lite promises results ordered by primary key, so a cursor on the last key
 * of a page could skip rows. The primary key is 32 hex digits of SHA-256 (collection-layout.ts
 * documentKey), so the key space splits into ranges of even size by hex prefix: each key falls in
 * exactly one range, and a range that still holds Milvus' limit of rows is split 16 ways again.
 * Only hex digits ever appear in these expressions.
 */

/** Rows one range query aims at: well below Milvus' limit, so a range rarely needs splitting. */
const ROWS_PER_RANGE = 4_096;
const HEX = '0123456789abcdef';

export async function* scanRecords(
  context: RequestContext,
  spec: ResolvedCollectionSpec,
  options: ScanOptions = {},
): AsyncGenerator<readonly ScannedRecord[]> {
  const resolved = resolveScanOptions(options);
  throwIfAborted(resolved.signal, 'scan');
  const filter = resolved.filter === undefined ? '' : filterToExpression(resolved.filter);
  const pageSize = resolved.pageSize;
  const total = Number(
    (await queryRows(context, spec.name, filter, ['count(*)']))[0]?.['count(*)'] ?? 0,
  );
  if (total === 0) return;
  let page: ScannedRecord[] = [];
  for await (const rows of rangeRows(context, spec.name, filter, prefixesFor(total))) {
    for (const row of rows) {
      const metadata = metadataOfRow(row);
      page.push({ id: String(row[FIELDS.id]), ...(metadata !== undefined ? { metadata } : {}) });
      if (page.length === pageSize) {
        throwIfAborted(options.signal, 'scan');
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) {
    throwIfAborted(options.signal, 'scan');
    yield page;
  }
}

/** All hex prefixes of the length that puts about ROWS_PER_RANGE rows in each range. */
export function prefixesFor(total: number): string[] {
  const length =
    total <= ROWS_PER_RANGE ? 0 : Math.ceil(Math.log(total / ROWS_PER_RANGE) / Math.log(16));
  let prefixes = [''];
  for (let i = 0; i < length; i++) prefixes = prefixes.flatMap(split);
  return prefixes;
}

function split(prefix: string): string[] {
  return [...HEX].map((digit) => prefix + digit);
}

/** The expression selecting keys that start with `prefix` ('' selects every key). */
export function prefixRange(prefix: string): string {
  if (prefix.length === 0) return '';
  const lower = `${FIELDS.key} >= "${prefix}"`;
  const upper = nextPrefix(prefix);
  return upper === undefined ? lower : `${lower} and ${FIELDS.key} < "${upper}"`;
}

/** The smallest prefix after every key starting with `prefix` ("0f" -> "1"), or undefined after "ff…". */
function nextPrefix(prefix: string): string | undefined {
  const trimmed = prefix.replace(/f+$/, '');
  if (trimmed.length === 0) return undefined;
  const last = HEX.indexOf(trimmed[trimmed.length - 1]!);
  return trimmed.slice(0, -1) + HEX[last + 1]!;
}

async function* rangeRows(
  context: RequestContext,
  collection: string,
  filter: string,
  prefixes: readonly string[],
): AsyncGenerator<ReadonlyArray<Record<string, unknown>>> {
  for (const prefix of prefixes) {
    throwIfAborted(context.signal, 'scan');
    const rows = await queryRows(
      context,
      collection,
      andExpressions(prefixRange(prefix), filter),
      [FIELDS.id, FIELDS.metadata],
      MILVUS_MAX_LIMIT,
    );
    // A full answer may have left rows out: read that range again in 16 narrower ones.
    if (rows.length >= MILVUS_MAX_LIMIT && prefix.length < 32)
      yield* rangeRows(context, collection, filter, split(prefix));
    else yield rows;
  }
}
