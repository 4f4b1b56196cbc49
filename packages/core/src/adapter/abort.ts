import { AbortedError } from '../errors/aborted-error.js';

export { throwIfAborted } from '../errors/aborted-error.js';

/**
 * Settles with `promise`, or rejects with an AbortedError as soon as `signal` fires. For client
 * calls that take no signal of their own: the request may still finish on the server, but the
 * caller stops waiting for it.
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  operation: string,
): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new AbortedError(operation, signal.reason));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(operation, signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The caller's signal joined with a per-request timeout (either fires the result). */
export function withTimeoutSignal(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
}

/**
 * Whether an error means "stopped by the caller's signal": m3kit's AbortedError, or the
 * `AbortError` DOMException that fetch and most clients throw (adapters map it to AbortedError).
 * A `TimeoutError` is not one: a request that timed out is a backend failure, maybe retryable.
 */
export function isAbortError(error: unknown): boolean {
  if (AbortedError.isInstance(error)) return true;
  const name =
    typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'AbortError';
}
