import { throwIfAborted, type Metadata, type ScannedRecord } from '@m3kit/core';
import type { QueryClause } from './filter-translation.js';
import type { ElasticSource } from './record-codec.js';
import { FIELDS } from './schema.js';
import type { ElasticTransport, SearchHit, SearchResponse } from './transport.js';

/** How long Elasticsearch keeps the point in time between two pages. */
const KEEP_ALIVE = '2m';

export interface ScanRequest {
  readonly filter: QueryClause | undefined;
  /** `_source` fields each hit carries (none: ids only). */
  readonly includes: readonly string[];
  readonly pageSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Every document within the filter, a page at a time: a point in time (one snapshot of the index,
 * so concurrent writes neither repeat nor shift pages) read with `search_after` in id order (the
 * `id` keyword is unique, so each document comes once). The point in time is closed at the end,
 * also when the caller stops early.
 */
export async function* searchPages(
  transport: ElasticTransport,
  request: ScanRequest,
): AsyncGenerator<readonly SearchHit<ElasticSource>[]> {
  const { signal } = request;
  throwIfAborted(signal, 'scan');
  const opened = await transport.request<{ id: string }>(
    {
      method: 'POST',
      path: '/_pit',
      what: 'open point in time',
      querystring: { keep_alive: KEEP_ALIVE },
    },
    signal,
  );
  let pit = opened.id;
  try {
    let after: unknown[] | undefined;
    for (;;) {
      throwIfAborted(signal, 'scan');
      const body = {
        pit: { id: pit, keep_alive: KEEP_ALIVE },
        query: { bool: request.filter ? { filter: [request.filter] } : {} },
        sort: [{ [FIELDS.id]: 'asc' }],
        size: request.pageSize,
        track_total_hits: false,
        _source: request.includes.length > 0 ? { includes: [...request.includes] } : false,
        ...(after ? { search_after: after } : {}),
      };
      const page = await transport.request<SearchResponse<ElasticSource>>(
        { method: 'POST', path: '/_search', root: true, what: 'scan', body },
        signal,
      );
      if (page.pit_id) pit = page.pit_id;
      const hits = page.hits.hits;
      if (hits.length > 0) yield hits;
      if (hits.length < request.pageSize) return;
      after = hits[hits.length - 1]!.sort;
    }
  } finally {
    // Best effort: an unclosed point in time expires by itself after KEEP_ALIVE.
    await transport
      .request({
        method: 'DELETE',
        path: '/_pit',
        root: true,
        what: 'close point in time',
        body: { id: pit },
        retry: false,
      })
      .catch(() => undefined);
  }
}

/** The store's `scan`: ids and metadata of every document within the filter. */
export async function* scanRecords(
  transport: ElasticTransport,
  request: Omit<ScanRequest, 'includes'>,
): AsyncGenerator<readonly ScannedRecord[]> {
  for await (const hits of searchPages(transport, { ...request, includes: [FIELDS.metadata] })) {
    yield hits.map((hit) => {
      const metadata: Metadata | undefined = hit._source?.metadata;
      return metadata === undefined ? { id: hit._id } : { id: hit._id, metadata };
    });
  }
}

/** Every hit within the filter in one list (a ColBERT query with nothing to find candidates with). */
export async function searchAll(
  transport: ElasticTransport,
  request: ScanRequest,
): Promise<SearchHit<ElasticSource>[]> {
  const all: SearchHit<ElasticSource>[] = [];
  for await (const hits of searchPages(transport, request)) all.push(...hits);
  return all;
}
