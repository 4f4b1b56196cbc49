import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { evaluateFilter } from './evaluate-filter.js';
import { filters as f, type Filter } from './filter.js';
import { validateFilter } from './validate-filter.js';

const doc = { lang: 'en', year: 2012, tags: ['a', 'b'], empty: [], nothing: null, flag: false };

describe('evaluateFilter (the reference meaning)', () => {
  const cases: Array<[string, Filter, boolean]> = [
    ['eq string', f.eq('lang', 'en'), true],
    ['eq is type-strict', f.eq('year', '2012'), false],
    ['eq false boolean', f.eq('flag', false), true],
    ['eq on array matches any element', f.eq('tags', 'b'), true],
    ['ne is not(eq)', f.ne('tags', 'b'), false],
    ['ne on a missing field matches', f.ne('missing', 'x'), true],
    ['in', f.in('lang', ['de', 'en']), true],
    ['in on array', f.in('tags', ['z', 'a']), true],
    ['range inclusive', f.range('year', { gte: 2012, lte: 2012 }), true],
    ['range exclusive', f.range('year', { gt: 2012 }), false],
    ['range on a string never matches', f.range('lang', { gt: 0 }), false],
    ['exists', f.exists('lang'), true],
    ['null does not exist', f.exists('nothing'), false],
    ['an empty array does not exist', f.exists('empty'), false],
    ['missing does not exist', f.exists('missing'), false],
    ['and', f.and(f.eq('lang', 'en'), f.eq('year', 2013)), false],
    ['or', f.or(f.eq('lang', 'de'), f.eq('year', 2012)), true],
    ['not', f.not(f.eq('lang', 'en')), false],
  ];
  for (const [label, filter, expected] of cases) {
    it(label, () => expect(evaluateFilter(filter, doc)).toBe(expected));
  }

  it('treats a document without metadata as having no fields', () => {
    expect(evaluateFilter(f.eq('lang', 'en'), undefined)).toBe(false);
    expect(evaluateFilter(f.not(f.exists('lang')), undefined)).toBe(true);
  });
});

describe('validateFilter', () => {
  const bad: Array<[string, unknown]> = [
    ['field with a quote', { op: 'eq', field: 'a"b', value: 1 }],
    ['field with a dot', { op: 'eq', field: 'a.b', value: 1 }],
    ['NaN value', { op: 'eq', field: 'a', value: Number.NaN }],
    ['object value', { op: 'eq', field: 'a', value: { $ne: 1 } }],
    ['empty in', { op: 'in', field: 'a', values: [] }],
    ['range without bounds', { op: 'range', field: 'a' }],
    ['range with gt and gte', { op: 'range', field: 'a', gt: 1, gte: 2 }],
    ['empty or', { op: 'or', filters: [] }],
    ['unknown op', { op: 'regex', field: 'a', value: '.*' }],
  ];
  for (const [label, filter] of bad) {
    it(`rejects ${label}`, () =>
      expect(() => validateFilter(filter as Filter)).toThrow(InvalidInputError));
  }

  it('names the path of the bad node', () => {
    expect(() =>
      validateFilter(f.and(f.eq('ok', 1), { op: 'in', field: 'x', values: [] })),
    ).toThrow(/filter\.and\[1\]/);
  });

  it('rejects filters nested absurdly deep instead of overflowing the stack', () => {
    let filter: Filter = f.eq('a', 1);
    for (let i = 0; i < 100; i++) filter = f.not(filter);
    expect(() => validateFilter(filter)).toThrow(/deeper/);
  });
});
