import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { chunk } from './chunk.js';

describe('chunk', () => {
  it('cuts into pieces of at most size, the last shorter', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('rejects a size that would loop forever or make empty pieces', () => {
    for (const size of [0, -1, 1.5, Number.NaN])
      expect(() => chunk([1], size)).toThrow(InvalidInputError);
  });
});
