import { InvalidInputError, filters } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { isCoreFilter, toCoreFilter } from './filter-translation.js';

describe('LangChain filter objects to core filters', () => {
  it('turns field: value pairs into eq, several keys into and', () => {
    expect(toCoreFilter({ lang: 'en' })).toEqual(filters.eq('lang', 'en'));
    expect(toCoreFilter({ lang: 'en', year: 2021 })).toEqual(
      filters.and(filters.eq('lang', 'en'), filters.eq('year', 2021)),
    );
  });

  it('maps every field operator, range bounds into one range', () => {
    expect(toCoreFilter({ year: { $gte: 2020, $lt: 2023 } })).toEqual(
      filters.range('year', { gte: 2020, lt: 2023 }),
    );
    expect(toCoreFilter({ lang: { $ne: 'de' } })).toEqual(filters.ne('lang', 'de'));
    expect(toCoreFilter({ tags: { $in: ['faq', 'shipping'] } })).toEqual(
      filters.in('tags', ['faq', 'shipping']),
    );
    expect(toCoreFilter({ tags: { $nin: ['faq'] } })).toEqual(
      filters.not(filters.in('tags', ['faq'])),
    );
    expect(toCoreFilter({ year: { $exists: true } })).toEqual(filters.exists('year'));
    expect(toCoreFilter({ year: { $exists: false } })).toEqual(filters.not(filters.exists('year')));
    expect(toCoreFilter({ lang: { $eq: 'en', $ne: 'de' } })).toEqual(
      filters.and(filters.eq('lang', 'en'), filters.ne('lang', 'de')),
    );
  });

  it('maps $and, $or and $not', () => {
    expect(toCoreFilter({ $or: [{ lang: 'en' }, { lang: 'fr' }], $not: { tags: 'faq' } })).toEqual(
      filters.and(
        filters.or(filters.eq('lang', 'en'), filters.eq('lang', 'fr')),
        filters.not(filters.eq('tags', 'faq')),
      ),
    );
  });

  it('passes core filters through, recognising them by op and operand', () => {
    const core = filters.and(filters.eq('lang', 'en'), filters.range('year', { gte: 2020 }));
    expect(isCoreFilter(core)).toBe(true);
    expect(toCoreFilter(core)).toBe(core);
    // A metadata field that happens to be called `op` is still a LangChain filter.
    expect(isCoreFilter({ op: 'eq' })).toBe(false);
    expect(toCoreFilter({ op: 'eq' })).toEqual(filters.eq('op', 'eq'));
  });

  it('rejects what it cannot translate with an error naming the key', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ lang: ['en', 'fr'] }, /\$in.*filter\.lang/],
      [{ year: { $between: [1, 2] } }, /unknown field operator \$between.*filter\.year\.\$between/],
      [{ $nor: [{ lang: 'en' }] }, /unknown filter operator \$nor/],
      [{ year: { $gt: 'x' } }, /\$gt needs a finite number/],
      [{ $and: [] }, /\$and needs a non-empty array/],
      [{}, /empty filter object/],
      [{ 'bad-name': 1 }, /field/],
    ];
    for (const [input, message] of cases) {
      let caught: unknown;
      try {
        toCoreFilter(input as never);
      } catch (error) {
        caught = error;
      }
      expect(InvalidInputError.isInstance(caught), JSON.stringify(input)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
