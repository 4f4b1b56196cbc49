import { InvalidInputError, filters, type Filter } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { translateFilter } from './filter-translation.js';

const options = { metadataKey: 'metadata', fieldTypes: new Map([['rating', 'float' as const]]) };
const t = (filter: Filter) => translateFilter(filter, options);

describe('translateFilter', () => {
  it('maps eq on strings, safe integers and booleans to match', () => {
    expect(t(filters.eq('lang', 'en'))).toEqual({
      must: [{ key: 'metadata.lang', match: { value: 'en' } }],
    });
    expect(t(filters.eq('year', 2020))).toEqual({
      must: [{ key: 'metadata.year', match: { value: 2020 } }],
    });
    expect(t(filters.eq('published', false))).toEqual({
      must: [{ key: 'metadata.published', match: { value: false } }],
    });
  });

  it('matches fractional numbers, huge numbers and numbers on float fields by a closed range', () => {
    expect(t(filters.eq('score', 1.5))).toEqual({
      must: [{ key: 'metadata.score', range: { gte: 1.5, lte: 1.5 } }],
    });
    expect(t(filters.eq('big', 2 ** 60))).toEqual({
      must: [{ key: 'metadata.big', range: { gte: 2 ** 60, lte: 2 ** 60 } }],
    });
    expect(t(filters.eq('rating', 3))).toEqual({
      must: [{ key: 'metadata.rating', range: { gte: 3, lte: 3 } }],
    });
  });

  it('keeps the string "1" and the number 1 apart (type-strict)', () => {
    expect(t(filters.eq('code', '1'))).toEqual({
      must: [{ key: 'metadata.code', match: { value: '1' } }],
    });
    expect(t(filters.eq('code', 1))).toEqual({
      must: [{ key: 'metadata.code', match: { value: 1 } }],
    });
  });

  it('maps ne to must_not of the eq condition (so a missing or null field matches)', () => {
    expect(t(filters.ne('lang', 'en'))).toEqual({
      must_not: [{ key: 'metadata.lang', match: { value: 'en' } }],
    });
  });

  it('groups in-values by type: match any for strings and integers, one condition per other value', () => {
    expect(t(filters.in('lang', ['en', 'de', 'en']))).toEqual({
      must: [{ key: 'metadata.lang', match: { any: ['en', 'de'] } }],
    });
    expect(t(filters.in('mixed', ['a', 1, 2, true, 2.5]))).toEqual({
      should: [
        { key: 'metadata.mixed', match: { value: 'a' } },
        { key: 'metadata.mixed', match: { any: [1, 2] } },
        { key: 'metadata.mixed', match: { value: true } },
        { key: 'metadata.mixed', range: { gte: 2.5, lte: 2.5 } },
      ],
    });
  });

  it('maps range bounds one to one', () => {
    expect(t(filters.range('year', { gte: 2000, lt: 2010 }))).toEqual({
      must: [{ key: 'metadata.year', range: { gte: 2000, lt: 2010 } }],
    });
    expect(t(filters.range('rating', { gt: -1.5, lte: 0 }))).toEqual({
      must: [{ key: 'metadata.rating', range: { gt: -1.5, lte: 0 } }],
    });
  });

  it('maps exists to not is_empty (missing, null and [] are all empty in Qdrant)', () => {
    expect(t(filters.exists('source'))).toEqual({
      must_not: [{ is_empty: { key: 'metadata.source' } }],
    });
  });

  it('maps and/or/not to must/should/must_not, nested', () => {
    const filter = filters.and(
      filters.or(filters.eq('lang', 'en'), filters.eq('lang', 'de')),
      filters.not(filters.eq('tags', 'sport')),
    );
    expect(t(filter)).toEqual({
      must: [
        {
          should: [
            { key: 'metadata.lang', match: { value: 'en' } },
            { key: 'metadata.lang', match: { value: 'de' } },
          ],
        },
        { must_not: [{ key: 'metadata.tags', match: { value: 'sport' } }] },
      ],
    });
  });

  it('passes hostile strings as data, unchanged', () => {
    const hostile = `O'Brien "quoted" \\ back\\slash' or 1==1 || "x`;
    expect(t(filters.eq('author', hostile))).toEqual({
      must: [{ key: 'metadata.author', match: { value: hostile } }],
    });
  });

  it('uses the configured metadata key', () => {
    expect(translateFilter(filters.exists('a'), { metadataKey: 'meta' })).toEqual({
      must_not: [{ is_empty: { key: 'meta.a' } }],
    });
  });

  it('rejects malformed filters before translating', () => {
    expect(() => t({ op: 'eq', field: 'a.b', value: 1 })).toThrow(InvalidInputError);
    expect(() => t({ op: 'in', field: 'a', values: [] })).toThrow(/non-empty/);
    expect(() => t({ op: 'eq', field: 'a', value: Number.NaN })).toThrow(InvalidInputError);
  });
});
