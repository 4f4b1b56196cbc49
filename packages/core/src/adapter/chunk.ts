import { InvalidInputError } from '../errors/invalid-input-error.js';

/** Splits a list into consecutive pieces of at most `size` items (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new InvalidInputError(`chunk size must be a positive integer, got ${String(size)}`);
  const pieces: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    pieces.push(items.slice(start, start + size));
  return pieces;
}
