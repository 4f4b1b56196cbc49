import { BackendError, M3Error } from '@m3kit/core';

export const BACKEND = 'milvus';

/** The status object every Milvus response carries (top level, or under `status`). */
interface MilvusStatus {
  readonly error_code?: string | number;
  readonly code?: number;
  readonly reason?: string;
  readonly retriable?: boolean;
}

/** gRPC status codes worth retrying: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED. */
const RETRYABLE_GRPC_CODES = new Set([14, 4, 8, 10]);
const RETRYABLE_REASON = /rate limit|not ready|unavailable|timeout|too many requests|temporarily/i;

/**
 * Throws a BackendError when a Milvus response reports failure. The Node SDK does not throw for
 * server-side errors, and Milvus Lite answers `error_code: "Success"` with a non-zero `code` and a
 * reason for many of them (e.g. an unsupported expression), so all three are checked.
 */
export function checkStatus<T>(response: T, operation: string): T {
  const status = statusOf(response);
  if (status === undefined) return response;
  const errorCode = status.error_code;
  const failed =
    (errorCode !== undefined && errorCode !== 'Success' && errorCode !== 0) ||
    (status.code !== undefined && status.code !== 0);
  if (!failed) return response;
  const reason =
    (status.reason ?? '').trim() || `error ${String(errorCode)} / code ${String(status.code)}`;
  throw new BackendError({
    backend: BACKEND,
    message: `${operation} failed: ${reason}`,
    ...(status.code !== undefined && status.code !== 0 ? { statusCode: status.code } : {}),
    isRetryable: status.retriable === true || RETRYABLE_REASON.test(reason),
    cause: status,
  });
}

/** Turns whatever the SDK threw into an M3Error (M3Errors pass through untouched). */
export function toM3Error(error: unknown, operation: string): M3Error {
  if (M3Error.isInstance(error)) return error;
  const grpcCode =
    typeof (error as { code?: unknown })?.code === 'number'
      ? (error as { code: number }).code
      : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendError({
    backend: BACKEND,
    message: `${operation} failed: ${message}`,
    ...(grpcCode === undefined ? {} : { statusCode: grpcCode }),
    isRetryable:
      (grpcCode !== undefined && RETRYABLE_GRPC_CODES.has(grpcCode)) ||
      RETRYABLE_REASON.test(message),
    cause: error,
  });
}

function statusOf(response: unknown): MilvusStatus | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const nested = (response as { status?: unknown }).status;
  if (typeof nested === 'object' && nested !== null) return nested as MilvusStatus;
  if ('error_code' in response || 'code' in response) return response as MilvusStatus;
  return undefined;
}
