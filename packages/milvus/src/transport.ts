import {
  abortable,
  byScoreThenId,
  withRetry,
  type ResolvedAdapterRetryOptions,
  type ScoredId,
} from '@m3kit/core/adapter';
import { ConsistencyLevelEnum, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { checkStatus, toM3Error } from './errors.js';
import { andExpressions, inList } from './filter-translation.js';

/** Ids per `in [...]` list: keeps expressions far below any request limit. */
export const IDS_PER_EXPRESSION = 1_000;

/** What every request needs: the client, the retry policy and the caller's AbortSignal. */
export interface RequestContext {
  readonly client: MilvusClient;
  readonly retry: ResolvedAdapterRetryOptions;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Every SDK call goes through here: error translation (errors.ts), retry with backoff on
 * retryable failures, and the caller's AbortSignal, checked before each attempt and ending the
 * wait for one in flight (the SDK takes no signal; the request may still finish on the server).
 */
export function request<T>(
  context: RequestContext,
  operation: string,
  work: () => Promise<T>,
): Promise<T> {
  const { signal } = context;
  return withRetry(() => abortable(call(operation, work), signal, operation), {
    ...context.retry,
    ...(signal ? { signal } : {}),
  });
}

/** Runs one SDK call: translates what it throws and what its status says, in one place. */
async function call<T>(operation: string, work: () => Promise<T>): Promise<T> {
  let response: T;
  try {
    response = await work();
  } catch (error) {
    throw toM3Error(error, operation);
  }
  return checkStatus(response, operation);
}

export interface VectorSearch {
  readonly collection: string;
  readonly field: string;
  /** One query vector (dense or sparse) per entry: the search's nq. */
  readonly vectors: ReadonlyArray<readonly number[] | Readonly<Record<string, number>>>;
  readonly limit: number;
  readonly filter: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** Group results by this field (one best hit per group): used for ColBERT's per-document max. */
  readonly groupBy?: string;
  /** The field that names a hit: the primary key, or the grouping field. */
  readonly idField: string;
}

export type { ScoredId } from '@m3kit/core/adapter';

/** A search; one list per query vector, best first, ties by id (as the exact store orders them). */
export async function searchVectors(
  context: RequestContext,
  search: VectorSearch,
): Promise<ScoredId[][]> {
  const nq = search.vectors.length;
  if (nq === 0) return [];
  const response = await request(context, `search ${search.collection}.${search.field}`, () =>
    context.client.search({
      collection_name: search.collection,
      anns_field: search.field,
      data: search.vectors as never,
      limit: search.limit,
      filter: search.filter,
      output_fields: [search.idField],
      params: { ...(search.params ?? {}) } as Record<string, string | number>,
      consistency_level: ConsistencyLevelEnum.Strong,
      ...(search.groupBy === undefined ? {} : { group_by_field: search.groupBy }),
    }),
  );
  // The SDK returns a flat list for one query vector and a list per vector for several.
  const raw = (response.results ?? []) as unknown[];
  const perQuery: unknown[][] =
    nq === 1 ? [Array.isArray(raw[0]) ? (raw[0] as unknown[]) : raw] : (raw as unknown[][]);
  return Array.from({ length: nq }, (_, q) =>
    (perQuery[q] ?? [])
      .map((hit) => {
        const row = hit as Record<string, unknown>;
        return { id: String(row[search.idField]), score: Number(row['score']) };
      })
      .sort(byScoreThenId),
  );
}

/** A query by filter; `limit` at most MILVUS_MAX_LIMIT. */
export async function queryRows(
  context: RequestContext,
  collection: string,
  filter: string,
  outputFields: readonly string[],
  limit?: number,
): Promise<Array<Record<string, unknown>>> {
  const response = await request(context, `query ${collection}`, () =>
    context.client.query({
      collection_name: collection,
      filter,
      output_fields: [...outputFields],
      ...(limit === undefined ? {} : { limit }),
      consistency_level: ConsistencyLevelEnum.Strong,
    }),
  );
  return (response.data ?? []) as Array<Record<string, unknown>>;
}

/** `field in [...]` restricted to the given ids, joined with another filter. */
export function restrictTo(field: string, ids: readonly string[], filter = ''): string {
  return andExpressions(inList(field, ids), filter);
}
