import { M3Error, hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.backend');

/**
 * A failure reported by (or on the way to) a vector database. `isRetryable` says whether the same
 * request may succeed later (unavailable, timeout, 429, 5xx), so writers know when to back off.
 */
export class BackendError extends M3Error {
  readonly backend: string;
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;

  constructor(options: {
    backend: string;
    message: string;
    statusCode?: number;
    isRetryable: boolean;
    cause?: unknown;
  }) {
    super(`${options.backend}: ${options.message}`, { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'BackendError';
    this.backend = options.backend;
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable;
  }

  static override isInstance(error: unknown): error is BackendError {
    return hasErrorMarker(error, MARKER);
  }
}
