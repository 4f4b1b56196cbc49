import { InvalidInputError } from './invalid-input-error.js';
import { hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.dimension-mismatch');

/** A vector whose length does not match the collection or the other operand. */
export class DimensionMismatchError extends InvalidInputError {
  readonly expected: number;
  readonly actual: number;
  readonly what: string;

  constructor(options: { what: string; expected: number; actual: number; id?: string }) {
    super(`${options.what} has dimension ${options.actual}, expected ${options.expected}`, {
      ...(options.id === undefined ? {} : { item: options.id }),
    });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'DimensionMismatchError';
    this.expected = options.expected;
    this.actual = options.actual;
    this.what = options.what;
  }

  static override isInstance(error: unknown): error is DimensionMismatchError {
    return hasErrorMarker(error, MARKER);
  }
}
