import { BackendError, M3Error } from '@m3kit/core';

const BACKEND = 'qdrant';

/** Status codes worth retrying: the same request may succeed later. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Node's network error codes that mean "try again" (server restarting, connection dropped). */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The one place client errors become m3kit errors. The Qdrant client throws its own classes for
 * timeouts and 429s, an `ApiError` (status, data) for other HTTP errors, and fetch's TypeError
 * for network failures; each becomes a BackendError with the original as `cause`. Messages carry
 * Qdrant's own error text, never request headers (credentials).
 */
export function toM3Error(error: unknown, operation: string): M3Error {
  if (M3Error.isInstance(error)) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'QdrantClientTimeoutError') {
    return new BackendError({
      backend: BACKEND,
      message: `${operation}: request timed out`,
      isRetryable: true,
      cause: error,
    });
  }
  if (name === 'QdrantClientResourceExhaustedError') {
    return new BackendError({
      backend: BACKEND,
      message: `${operation}: rate limited (429)`,
      statusCode: 429,
      isRetryable: true,
      cause: error,
    });
  }
  const status = httpStatus(error);
  if (status !== undefined) {
    return new BackendError({
      backend: BACKEND,
      message: `${operation}: HTTP ${status}${serverMessage(error) ? `: ${serverMessage(error)}` : ''}`,
      statusCode: status,
      isRetryable: RETRYABLE_STATUS.has(status),
      cause: error,
    });
  }
  const code = networkCode(error);
  if (code !== undefined) {
    return new BackendError({
      backend: BACKEND,
      message: `${operation}: cannot reach the server (${code})`,
      isRetryable: RETRYABLE_NETWORK_CODES.has(code),
      cause: error,
    });
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return new BackendError({
      backend: BACKEND,
      message: `${operation}: cannot reach the server`,
      isRetryable: true,
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new BackendError({
    backend: BACKEND,
    message: `${operation}: ${message.split('\n')[0]}`,
    isRetryable: false,
    cause: error,
  });
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 100 && status < 600) return status;
  // QdrantClientUnexpectedResponseError only has its message: "Unexpected Response: 404 (Not Found)".
  const message = (error as { message?: unknown }).message;
  const match = typeof message === 'string' ? /^Unexpected Response: (\d{3})/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

/** Qdrant answers errors as `{"status": {"error": "..."}, "time": ...}`. */
function serverMessage(error: unknown): string | undefined {
  const data = (error as { data?: unknown }).data;
  if (typeof data === 'string') return data.slice(0, 500);
  const status = (data as { status?: { error?: unknown } } | undefined)?.status;
  if (typeof status?.error === 'string') return status.error.slice(0, 500);
  return undefined;
}

function networkCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether a Qdrant error says the collection does not exist. */
export function isNotFound(error: unknown): boolean {
  return BackendError.isInstance(error) && error.statusCode === 404;
}
