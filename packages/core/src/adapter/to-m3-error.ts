import { BackendError } from '../errors/backend-error.js';
import { M3Error } from '../errors/m3-error.js';

/**
 * The last resort of an adapter's error mapping: an M3Error stays as it is, anything else becomes
 * a non-retryable BackendError that keeps the original as `cause`. Adapters map their client's
 * errors first (status codes, retryability) and call this for what is left.
 */
export function fallbackM3Error(error: unknown, backend: string, operation: string): M3Error {
  if (M3Error.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BackendError({
    backend,
    message: `${operation} failed: ${message}`,
    isRetryable: false,
    cause: error,
  });
}
