const MARKER = Symbol.for('m3kit.error');

/**
 * Root of every error m3kit throws. `isInstance` works across copies of the package (two versions
 * installed side by side), where `instanceof` would not.
 */
export class M3Error extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, MARKER, { value: true });
    this.name = 'M3Error';
  }

  static isInstance(error: unknown): error is M3Error {
    return typeof error === 'object' && error !== null && MARKER in error;
  }
}

/** Marks each subclass so `isInstance` can tell them apart across package copies too. */
export function hasErrorMarker(error: unknown, marker: symbol): boolean {
  return typeof error === 'object' && error !== null && marker in error;
}
