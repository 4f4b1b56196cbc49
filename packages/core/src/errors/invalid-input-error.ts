import { M3Error, hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.invalid-input');

/** Bad input from the caller: the message names the problem and, where there is one, the item. */
export class InvalidInputError extends M3Error {
  /** The document or chunk id, or the argument name, the problem was found in. */
  readonly item: string | undefined;

  constructor(message: string, options?: { item?: string; cause?: unknown }) {
    super(options?.item === undefined ? message : `${message} (item: ${options.item})`, options);
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'InvalidInputError';
    this.item = options?.item;
  }

  static override isInstance(error: unknown): error is InvalidInputError {
    return hasErrorMarker(error, MARKER);
  }
}
