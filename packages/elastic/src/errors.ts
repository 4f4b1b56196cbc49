import { AbortedError, BackendError, InvalidInputError, M3Error } from '@m3kit/core';

export const BACKEND = 'elasticsearch';

/** HTTP statuses worth retrying: overload (429) and the server-side failures that pass. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** Client errors by class name: the 8.x and 9.x clients each have their own classes of these names. */
const CONNECTION_ERRORS = new Set(['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError']);

interface ClientError {
  readonly name: string;
  readonly message: string;
  readonly meta?: { readonly statusCode?: number | null; readonly body?: unknown };
}

function asClientError(error: unknown): ClientError | undefined {
  return error instanceof Error ? (error as ClientError) : undefined;
}

/**
 * The one place client errors become m3kit errors. The original stays as `cause`; messages carry
 * Elasticsearch's error type and reason (never request bodies or credentials).
 */
export function toM3Error(error: unknown, what: string): M3Error {
  if (M3Error.isInstance(error)) return error;
  const client = asClientError(error);
  if (client?.name === 'RequestAbortedError') return new AbortedError(what, error);
  if (client?.name === 'ResponseError') {
    const status = client.meta?.statusCode ?? undefined;
    return new BackendError({
      backend: BACKEND,
      message: `${what} failed (HTTP ${status ?? '?'}): ${describeBody(client.meta?.body) ?? client.message.split('\n')[0]}`,
      ...(status === undefined ? {} : { statusCode: status }),
      isRetryable:
        isRetryableStatus(status) || (status !== undefined && status >= 500 && status !== 501),
      cause: error,
    });
  }
  if (client !== undefined && CONNECTION_ERRORS.has(client.name)) {
    return new BackendError({
      backend: BACKEND,
      message: `${what} failed: ${client.name}: ${client.message}`,
      isRetryable: true,
      cause: error,
    });
  }
  const message = client !== undefined ? `${client.name}: ${client.message}` : String(error);
  return new BackendError({
    backend: BACKEND,
    message: `${what} failed: ${message}`,
    isRetryable: false,
    cause: error,
  });
}

/**
 * One bulk item's error object (`items[i].index.error`) as an m3kit error. A 400 is that
 * document's own problem (a value the mapping refuses, a term too long to index): an
 * InvalidInputError naming the id, so the record alone is skipped and nobody is told to fix the
 * backend. Anything else is a BackendError.
 */
export function bulkItemError(status: number, error: unknown, id: string): M3Error {
  if (status === 400)
    return new InvalidInputError(`Elasticsearch refused the document: ${describeError(error)}`, {
      item: id,
      cause: error,
    });
  return new BackendError({
    backend: BACKEND,
    message: `bulk item failed (HTTP ${status}): ${describeError(error)}`,
    statusCode: status,
    isRetryable: isRetryableStatus(status) || status >= 500,
    cause: error,
  });
}

/** "type: reason" of an Elasticsearch error body, following caused_by one level. */
export function describeError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const {
    type,
    reason,
    caused_by: causedBy,
  } = error as { type?: unknown; reason?: unknown; caused_by?: unknown };
  let text = `${String(type ?? 'error')}: ${String(reason ?? '')}`;
  if (typeof causedBy === 'object' && causedBy !== null) {
    const inner = causedBy as { type?: unknown; reason?: unknown };
    text += ` (caused by ${String(inner.type)}: ${String(inner.reason)})`;
  }
  return text;
}

function describeBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const inner = (body as { error: unknown }).error;
  if (typeof inner === 'string') return inner;
  const rootCause = (inner as { root_cause?: unknown[] }).root_cause?.[0];
  return describeError(rootCause ?? inner);
}

/**
 * Elasticsearch's error type (`index_not_found_exception`, ...) of a client error, or of the one
 * a translated error keeps as `cause`.
 */
export function elasticErrorType(error: unknown): string | undefined {
  const original = M3Error.isInstance(error) ? error.cause : error;
  const body = (original as { meta?: { body?: { error?: { type?: string } } } } | undefined)?.meta
    ?.body;
  return body?.error?.type;
}
