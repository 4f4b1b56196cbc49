import { AbortedError, throwIfAborted } from '../errors/aborted-error.js';
import { BackendError } from '../errors/backend-error.js';

export interface RetryOptions {
  /** Attempts after the first (default 4). */
  readonly retries?: number;
  /** First delay in ms, doubled each retry with full jitter (default 200). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Default: BackendError.isRetryable. Invalid input and other errors are never retried. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log "retrying in 400 ms". */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `work`, retrying retryable failures with exponential backoff and jitter. */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 5_000;
  const retryable =
    options.isRetryable ??
    ((error: unknown) => BackendError.isInstance(error) && error.isRetryable);
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(options.signal, 'request');
    try {
      return await work();
    } catch (error) {
      if (attempt >= retries || !retryable(error)) throw error;
      const delay = Math.min(max, base * 2 ** attempt) * (0.5 + Math.random() / 2);
      options.onRetry?.(error, attempt + 1, delay);
      await sleep(delay, options.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError('wait', signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError('wait', signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
