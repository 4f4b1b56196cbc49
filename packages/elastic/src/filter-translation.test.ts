import {
  filters as f,
  InvalidInputError,
  UnsupportedError,
  type Filter,
  type MetadataFieldType,
} from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { filterClause, translateFilter } from './filter-translation.js';

const fields = new Map<string, MetadataFieldType>([
  ['lang', 'keyword'],
  ['tags', 'keyword[]'],
  ['year', 'integer'],
  ['rating', 'float'],
  ['published', 'boolean'],
]);

describe('translateFilter', () => {
  it('eq becomes a term query on the metadata path', () => {
    expect(translateFilter(f.eq('lang', 'en'), fields)).toEqual({
      term: { 'metadata.lang': { value: 'en' } },
    });
  });

  it('ne and not become must_not, so documents without the field match', () => {
    expect(translateFilter(f.ne('year', 2012), fields)).toEqual({
      bool: { must_not: [{ term: { 'metadata.year': { value: 2012 } } }] },
    });
    expect(translateFilter(f.not(f.exists('tags')), fields)).toEqual({
      bool: { must_not: [{ exists: { field: 'metadata.tags' } }] },
    });
  });

  it('in becomes terms (deduplicated), one value a term', () => {
    expect(translateFilter(f.in('tags', ['a', 'b', 'a']), fields)).toEqual({
      terms: { 'metadata.tags': ['a', 'b'] },
    });
    expect(translateFilter(f.in('tags', ['a']), fields)).toEqual({
      term: { 'metadata.tags': { value: 'a' } },
    });
  });

  it('is type-strict: values of another type match nothing instead of being coerced', () => {
    expect(translateFilter(f.eq('year', '2012'), fields)).toEqual({ match_none: {} });
    expect(translateFilter(f.eq('lang', 1), fields)).toEqual({ match_none: {} });
    expect(translateFilter(f.eq('published', 'true'), fields)).toEqual({ match_none: {} });
    expect(translateFilter(f.eq('year', 2012.5), fields)).toEqual({ match_none: {} });
    expect(translateFilter(f.in('year', ['1', 2]), fields)).toEqual({
      term: { 'metadata.year': { value: 2 } },
    });
    expect(translateFilter(f.range('lang', { gt: 1 }), fields)).toEqual({ match_none: {} });
  });

  it('range keeps exactly the bounds given', () => {
    expect(translateFilter(f.range('rating', { gte: 1.5, lt: 3 }), fields)).toEqual({
      range: { 'metadata.rating': { gte: 1.5, lt: 3 } },
    });
  });

  it('and/or/not nest as bool filter/should/must_not', () => {
    expect(
      translateFilter(
        f.and(f.or(f.eq('lang', 'de'), f.eq('lang', 'ar')), f.not(f.eq('published', false))),
        fields,
      ),
    ).toEqual({
      bool: {
        filter: [
          {
            bool: {
              should: [
                { term: { 'metadata.lang': { value: 'de' } } },
                { term: { 'metadata.lang': { value: 'ar' } } },
              ],
              minimum_should_match: 1,
            },
          },
          { bool: { must_not: [{ term: { 'metadata.published': { value: false } } }] } },
        ],
      },
    });
  });

  it('carries hostile strings as data, untouched', () => {
    const hostile = `O'Brien "quoted" \\ or 1==1 || "x`;
    expect(translateFilter(f.eq('lang', hostile), fields)).toEqual({
      term: { 'metadata.lang': { value: hostile } },
    });
  });

  it('refuses undeclared fields with an UnsupportedError naming the field', () => {
    let error: unknown;
    try {
      translateFilter(f.eq('colour', 'red'), fields);
    } catch (e) {
      error = e;
    }
    expect(UnsupportedError.isInstance(error)).toBe(true);
    expect(String(error)).toContain('"colour"');
  });
});

describe('filterClause', () => {
  it("refuses a malformed filter with core's typed error before translating it (count() sent it to Elasticsearch)", () => {
    expect(() => filterClause({ op: 'magic', field: 'lang' } as unknown as Filter, fields)).toThrow(
      InvalidInputError,
    );
    expect(() => filterClause(f.range('year', { gte: Number.NaN }), fields)).toThrow(
      InvalidInputError,
    );
    expect(() =>
      filterClause({ op: 'in', field: 'lang', values: [] } as unknown as Filter, fields),
    ).toThrow(InvalidInputError);
  });

  it('translates a valid filter as translateFilter does', () => {
    expect(filterClause(f.eq('lang', 'en'), fields)).toEqual(
      translateFilter(f.eq('lang', 'en'), fields),
    );
  });
});
