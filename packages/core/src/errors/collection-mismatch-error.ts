import { M3Error, hasErrorMarker } from './m3-error.js';

const MARKER = Symbol.for('m3kit.error.collection-mismatch');

/** An existing collection or index whose schema differs from what the store was asked for. */
export class CollectionMismatchError extends M3Error {
  readonly collection: string;
  /** One line per difference, e.g. `dense dimension: existing 768, requested 1024`. */
  readonly differences: readonly string[];

  constructor(options: { backend: string; collection: string; differences: readonly string[] }) {
    super(
      `${options.backend}: collection "${options.collection}" exists with a different schema: ` +
        options.differences.join('; '),
    );
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'CollectionMismatchError';
    this.collection = options.collection;
    this.differences = options.differences;
  }

  static override isInstance(error: unknown): error is CollectionMismatchError {
    return hasErrorMarker(error, MARKER);
  }
}
