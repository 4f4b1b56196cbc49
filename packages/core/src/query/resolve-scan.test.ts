import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { Filter } from '../filter/filter.js';
import { resolveFilter } from './resolve-filter.js';
import { resolveScanOptions } from './resolve-scan.js';

describe('resolveScanOptions', () => {
  it('fills the default page size and keeps a valid filter', () => {
    expect(resolveScanOptions(undefined)).toEqual({
      filter: undefined,
      pageSize: 1000,
      signal: undefined,
    });
    const filter: Filter = { op: 'eq', field: 'lang', value: 'en' };
    expect(resolveScanOptions({ filter, pageSize: 1 }).filter).toBe(filter);
  });

  it('rejects bad page sizes, filters and signals', () => {
    for (const pageSize of [0, 1.5, 10_001, Number.NaN]) {
      expect(() => resolveScanOptions({ pageSize })).toThrow(
        /scan pageSize must be an integer from 1 to 10000/,
      );
    }
    expect(() => resolveScanOptions({ filter: { op: 'or', filters: [] } })).toThrow(
      /scan\.filter: "or"/,
    );
    expect(() => resolveScanOptions({ signal: {} as AbortSignal })).toThrow(InvalidInputError);
  });
});

describe('resolveFilter', () => {
  it('names the argument the filter came in', () => {
    expect(resolveFilter(undefined, 'count.filter')).toBeUndefined();
    expect(() => resolveFilter({ op: 'range', field: 'year' } as Filter, 'count.filter')).toThrow(
      /^count\.filter: "range" needs/,
    );
    expect(() => resolveFilter(null as unknown as Filter, 'count.filter')).toThrow(
      /count\.filter is not a filter object/,
    );
  });
});
