import { ExactStore, evaluateFilter, type Filter } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { parseFilter } from './filter-syntax.js';
import { UsageError } from './usage-error.js';

describe('parseFilter', () => {
  it.each<[string, Filter]>([
    ['lang=en', { op: 'eq', field: 'lang', value: 'en' }],
    ['lang == en', { op: 'eq', field: 'lang', value: 'en' }],
    ['lang!=en', { op: 'ne', field: 'lang', value: 'en' }],
    ['year>=2020', { op: 'range', field: 'year', gte: 2020 }],
    ['year > 2020', { op: 'range', field: 'year', gt: 2020 }],
    ['score<=0.5', { op: 'range', field: 'score', lte: 0.5 }],
    ['score<-1e3', { op: 'range', field: 'score', lt: -1000 }],
    ['has:tags', { op: 'exists', field: 'tags' }],
    ['lang in en,de', { op: 'in', field: 'lang', values: ['en', 'de'] }],
    ['lang in en, de ,"a b"', { op: 'in', field: 'lang', values: ['en', 'de', 'a b'] }],
    ['lang not in en,de', { op: 'not', filter: { op: 'in', field: 'lang', values: ['en', 'de'] } }],
    ['draft=false', { op: 'eq', field: 'draft', value: false }],
    ['code=007', { op: 'eq', field: 'code', value: 7 }],
    ['code="007"', { op: 'eq', field: 'code', value: '007' }],
    ["name='O\\'Brien'", { op: 'eq', field: 'name', value: "O'Brien" }],
    ['title=日本語', { op: 'eq', field: 'title', value: '日本語' }],
  ])('%s', (text, expected) => {
    expect(parseFilter(text)).toEqual(expected);
  });

  it('joins clauses with and (any case), flat', () => {
    expect(parseFilter('lang=en and year>=2020 AND has:tags')).toEqual({
      op: 'and',
      filters: [
        { op: 'eq', field: 'lang', value: 'en' },
        { op: 'range', field: 'year', gte: 2020 },
        { op: 'exists', field: 'tags' },
      ],
    });
  });

  it('keeps hostile values as data: quotes, operators and backend syntax stay inside the value', () => {
    const hostile = `x" or 1=1 -- '); DROP TABLE t; {"match_all":{}} \\`;
    const text = `title="${hostile.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" and lang=en`;
    expect(parseFilter(text)).toEqual({
      op: 'and',
      filters: [
        { op: 'eq', field: 'title', value: hostile },
        { op: 'eq', field: 'lang', value: 'en' },
      ],
    });
    expect(parseFilter(`title='a "b" and c=d'`)).toEqual({
      op: 'eq',
      field: 'title',
      value: 'a "b" and c=d',
    });
    expect(parseFilter(`tags in "a,b",'c"d'`)).toEqual({
      op: 'in',
      field: 'tags',
      values: ['a,b', 'c"d'],
    });
  });

  it('means what core says it means on real metadata', async () => {
    const metadata = { lang: 'en', year: 2021, tags: ['faq', 'account'] };
    expect(evaluateFilter(parseFilter('lang=en and year>=2021 and tags=faq'), metadata)).toBe(true);
    expect(evaluateFilter(parseFilter('lang in de,es'), metadata)).toBe(false);
    expect(evaluateFilter(parseFilter('year="2021"'), metadata)).toBe(false); // type-strict
    expect(evaluateFilter(parseFilter('has:missing'), metadata)).toBe(false);
    // A hostile value filters nothing in and breaks nothing in the exact store.
    const store = new ExactStore({
      collection: { name: 'f', denseDimension: 2, signals: ['dense'] },
    });
    await store.ensureCollection();
    await store.upsert([{ id: 'a', metadata, embedding: { dense: new Float32Array([1, 0]) } }]);
    expect(await store.count(parseFilter(`lang="en\\" or \\"1\\"=\\"1"`))).toBe(0);
    expect(await store.count(parseFilter('lang=en'))).toBe(1);
  });

  it.each([
    ['', /expected a condition/],
    ['lang', /expected an operator/],
    ['lang=', /expected a value/],
    ['lang="en', /unterminated " quote/],
    ['year>=abc', /needs a number/],
    ['lang=en or lang=de', /only "and"/],
    ['lang=en lang=de', /expected "and"/],
    ['lang=en and', /expected a condition/],
    ['9lang=en', /expected a field name/],
    ['has:', /expected a field name/],
    [`${'x'.repeat(70)}=1`, /field name/],
  ])('rejects %j with a usage error', (text, message) => {
    let error: unknown;
    try {
      parseFilter(text);
    } catch (caught) {
      error = caught;
    }
    expect(UsageError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
