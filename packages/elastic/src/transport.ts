import { BackendError, withRetry } from '@m3kit/core';
import type { ElasticClient } from './client.js';
import { BACKEND, describeError, isRetryableStatus, toM3Error } from './errors.js';
import type { RetrySettings } from './options.js';

/** A search body for one `_msearch` entry or `_search` call. */
export type SearchBody = Record<string, unknown>;

export interface SearchHit<Source> {
  readonly _id: string;
  readonly _score: number | null;
  readonly _source?: Source;
  /** docvalue_fields values (the `id` of a hit whose search read no stored field). */
  readonly fields?: Readonly<Record<string, readonly unknown[]>>;
  readonly matched_queries?: Record<string, number> | string[];
  readonly sort?: unknown[];
}

export interface SearchResponse<Source> {
  readonly hits: { readonly hits: readonly SearchHit<Source>[] };
  readonly pit_id?: string;
}

interface MsearchResponse<Source> {
  readonly responses: readonly (
    | SearchResponse<Source>
    | { readonly error: unknown; readonly status?: number }
  )[];
}

export interface RequestSpec {
  readonly method: 'HEAD' | 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the index (`/_search`), or from the root when `root` is set (`/_pit`). */
  readonly path: string;
  /** What the request does, for error messages ("search", "bulk write"). */
  readonly what: string;
  readonly body?: unknown;
  readonly bulkBody?: readonly string[];
  readonly querystring?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly root?: boolean;
  /** Retry retryable failures (default true; bulk writes retry per item in write-batches.ts). */
  readonly retry?: boolean;
}

/**
 * The one way the adapter talks to Elasticsearch: every request goes through the client's
 * transport with the caller's AbortSignal and the store's timeout, client errors become m3kit
 * errors (errors.ts), and retryable failures are retried with core's backoff.
 */
export class ElasticTransport {
  constructor(
    private readonly client: ElasticClient,
    private readonly index: string,
    private readonly retry: RetrySettings,
    private readonly timeoutMs: number | undefined,
  ) {}

  async request<T = unknown>(spec: RequestSpec, signal?: AbortSignal): Promise<T> {
    const path = spec.root ? spec.path : `/${encodeURIComponent(this.index)}${spec.path}`;
    const send = async (): Promise<T> => {
      try {
        return (await this.client.transport.request(
          {
            method: spec.method,
            path,
            querystring: { ...spec.querystring },
            ...(spec.body === undefined ? {} : { body: spec.body as Record<string, unknown> }),
            ...(spec.bulkBody === undefined ? {} : { bulkBody: [...spec.bulkBody] }),
          },
          {
            ...(signal ? { signal } : {}),
            ...(spec.headers ? { headers: { ...spec.headers } } : {}),
            ...(this.timeoutMs === undefined ? {} : { requestTimeout: this.timeoutMs }),
          },
        )) as T;
      } catch (error) {
        throw toM3Error(error, spec.what);
      }
    };
    if (spec.retry === false) return send();
    return this.withRetry(send, signal);
  }

  /** Core's retry with the store's settings, for work that sends several requests (bulk). */
  withRetry<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(work, { ...this.retry, ...(signal ? { signal } : {}) });
  }

  search<Source>(
    body: SearchBody,
    signal?: AbortSignal,
    querystring: Record<string, string> = {},
  ): Promise<SearchResponse<Source>> {
    return this.request(
      { method: 'POST', path: '/_search', what: 'search', body, querystring },
      signal,
    );
  }

  /** Several searches in one round trip; an entry's error fails the whole call. */
  async msearch<Source>(
    bodies: readonly SearchBody[],
    signal?: AbortSignal,
  ): Promise<SearchResponse<Source>[]> {
    const bulkBody = bodies.flatMap((body) => [JSON.stringify({}), JSON.stringify(body)]);
    const response = await this.request<MsearchResponse<Source>>(
      { method: 'POST', path: '/_msearch', what: 'search', bulkBody },
      signal,
    );
    return response.responses.map((item) => {
      if ('error' in item) {
        throw new BackendError({
          backend: BACKEND,
          message: `search failed: ${describeError((item.error as { root_cause?: unknown[] }).root_cause?.[0] ?? item.error)}`,
          ...(item.status === undefined ? {} : { statusCode: item.status }),
          isRetryable: isRetryableStatus(item.status),
        });
      }
      return item;
    });
  }
}
