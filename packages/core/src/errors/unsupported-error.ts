import { M3Error, hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.unsupported');

/** A request for something the backend (or this adapter) cannot do, e.g. a filter operator. */
export class UnsupportedError extends M3Error {
  readonly feature: string;

  constructor(options: { backend: string; feature: string; message?: string }) {
    super(
      `${options.backend}: ${options.feature} is not supported${options.message ? `: ${options.message}` : ''}`,
    );
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'UnsupportedError';
    this.feature = options.feature;
  }

  static override isInstance(error: unknown): error is UnsupportedError {
    return hasErrorMarker(error, MARKER);
  }
}
