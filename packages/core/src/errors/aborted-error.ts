import { M3Error, hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.aborted');

/** Long work stopped by an AbortSignal; `cause` carries the signal's reason. */
export class AbortedError extends M3Error {
  constructor(what: string, reason?: unknown) {
    super(`${what} was aborted`, { cause: reason });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'AbortedError';
  }

  static override isInstance(error: unknown): error is AbortedError {
    return hasErrorMarker(error, MARKER);
  }
}

/** Throws an AbortedError when the signal has fired; call between units of long work. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortedError(what, signal.reason);
}
