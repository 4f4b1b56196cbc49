import {
  InvalidInputError,
  evaluateFilter,
  filters as f,
  type Filter,
  type Metadata,
} from '@m3kit/core';
import { FILTER_CASES } from '@m3kit/core/conformance';
import { HOSTILE_VALUE, syntheticCorpus } from '@m3kit/core/testing';
import { describe, expect, it } from 'vitest';
import {
  andExpressions,
  filterTerm,
  filterTermsOf,
  filterToExpression,
  formatNumber,
  inList,
  numericMetadataOf,
  quoteString,
} from './filter-translation.js';

const HOSTILE_VALUES = [
  HOSTILE_VALUE,
  '" or 1==1 or "',
  "' or 1==1 or '",
  'back\\slash\\',
  '\\"',
  'line\nbreak\r\n',
  'tab\there',
  'ünïcødé-東京-🙂',
  '',
  ') or (id != "',
  'filter_terms["x"] == 1',
];

/**
 * A tiny evaluator of the expressions this package writes, with Milvus' meaning for JSON keys:
 * a missing key compares unequal (`!=` is true, `==` false), a numeric comparison with a
 * non-number is false. It lets the tests check the *meaning* of every translation against core's
 * reference `evaluateFilter`, without a server.
 */
function evaluateExpression(expression: string, metadata: Metadata | undefined): boolean {
  const terms = filterTermsOf(metadata);
  const numbers = numericMetadataOf(metadata);
  const tokens =
    expression.match(
      /\(|\)|and|or|filter_terms\["[^"\\]*"\] (?:==|!=) 1|metadata\["\w+"\] (?:>=|<=|>|<) [-0-9.e+]+/g,
    ) ?? [];
  expect(tokens.join(''), 'expression uses only the forms this evaluator knows').toBe(
    expression.replace(/\s+(?=and|or|\))|(?<=\(|and|or)\s+/g, ''),
  );
  let position = 0;
  const parseOr = (): boolean => {
    let value = parseAnd();
    while (tokens[position] === 'or') {
      position++;
      const right = parseAnd();
      value = value || right;
    }
    return value;
  };
  const parseAnd = (): boolean => {
    let value = parseAtom();
    while (tokens[position] === 'and') {
      position++;
      const right = parseAtom();
      value = value && right;
    }
    return value;
  };
  const parseAtom = (): boolean => {
    const token = tokens[position++]!;
    if (token === '(') {
      const value = parseOr();
      expect(tokens[position++]).toBe(')');
      return value;
    }
    const term = /^filter_terms\["([^"]*)"\] (==|!=) 1$/.exec(token);
    if (term) return (terms[term[1]!] === 1) === (term[2] === '==');
    const range = /^metadata\["(\w+)"\] (>=|<=|>|<) (.+)$/.exec(token)!;
    const value = numbers[range[1]!];
    const bound = Number(range[3]);
    if (value === undefined) return false;
    return range[2] === '>'
      ? value > bound
      : range[2] === '>='
        ? value >= bound
        : range[2] === '<'
          ? value < bound
          : value <= bound;
  };
  const result = parseOr();
  expect(position, 'whole expression consumed').toBe(tokens.length);
  return result;
}

describe('quoteString', () => {
  it('escapes quotes and backslashes so the literal ends where it should', () => {
    expect(quoteString('plain')).toBe('"plain"');
    expect(quoteString('a"b')).toBe('"a\\"b"');
    expect(quoteString('a\\b')).toBe('"a\\\\b"');
    expect(quoteString('" or 1==1 or "')).toBe('"\\" or 1==1 or \\""');
    expect(quoteString("' or 1==1 or '")).toBe(`"' or 1==1 or '"`);
  });

  it('round-trips: reading the literal back gives the input, and nothing follows it', () => {
    for (const value of [
      '" or 1==1 or "',
      'a\\"b',
      '\\',
      '\\\\"',
      HOSTILE_VALUE.replace(/[^\x20-\x7e]/g, ''),
    ]) {
      const literal = quoteString(value);
      // Read it as Milvus does: up to the first quote not escaped, `\x` standing for x.
      let read = '';
      let i = 1;
      for (; literal[i] !== '"'; i++) read += literal[i] === '\\' ? literal[++i] : literal[i];
      expect(read).toBe(value);
      expect(i).toBe(literal.length - 1);
    }
  });

  it('refuses what Milvus Lite and Milvus would read differently (newlines, non-ASCII)', () => {
    for (const value of ['line\nbreak', 'tab\t', 'é', '🙂', '\u0000']) {
      expect(() => quoteString(value)).toThrow(InvalidInputError);
    }
  });

  it('writes id lists with every value quoted', () => {
    expect(inList('key', ['ab', 'c"d'])).toBe('key in ["ab", "c\\"d"]');
  });
});

describe('formatNumber', () => {
  it('writes integers as int64 literals and the rest as floats', () => {
    expect(formatNumber(2012)).toBe('2012');
    expect(formatNumber(-3)).toBe('-3');
    expect(formatNumber(-0)).toBe('0');
    expect(formatNumber(5.5)).toBe('5.5');
    expect(formatNumber(1e-7)).toBe('1e-7');
    expect(formatNumber(2 ** 63)).toBe('9.223372036854776e+18');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(() => formatNumber(Number.NaN)).toThrow();
  });
});

describe('filterTermsOf', () => {
  it('holds a typed term per value, per array element, and exists/number markers', () => {
    const terms = filterTermsOf({
      lang: 'en',
      year: 2012,
      tags: ['a', 'b'],
      none: null,
      empty: [],
      flag: false,
    });
    expect(terms[filterTerm('lang', 'value', 'en')]).toBe(1);
    expect(terms[filterTerm('year', 'value', 2012)]).toBe(1);
    expect(terms[filterTerm('year', 'number')]).toBe(1);
    expect(terms[filterTerm('tags', 'value', 'a')]).toBe(1);
    expect(terms[filterTerm('tags', 'value', 'b')]).toBe(1);
    expect(terms[filterTerm('flag', 'value', false)]).toBe(1);
    for (const field of ['lang', 'year', 'tags', 'flag'])
      expect(terms[filterTerm(field, 'exists')]).toBe(1);
    for (const field of ['none', 'empty'])
      expect(terms[filterTerm(field, 'exists')]).toBeUndefined();
    expect(Object.keys(terms)).toHaveLength(10);
  });

  it('keeps types apart: "1", 1 and true are different terms', () => {
    const keys = new Set([
      filterTerm('x', 'value', '1'),
      filterTerm('x', 'value', 1),
      filterTerm('x', 'value', true),
      filterTerm('x', 'value', 'true'),
    ]);
    expect(keys.size).toBe(4);
    for (const key of keys) expect(key).toMatch(/^t[0-9a-f]{32}$/);
  });
});

describe('filterToExpression', () => {
  it('never writes unary not: negation is pushed down to != and De Morgan', () => {
    const expression = filterToExpression(
      f.not(f.and(f.eq('a', 1), f.or(f.ne('b', 'x'), f.not(f.exists('c'))))),
    );
    expect(expression).not.toMatch(/\bnot\b|!\(|!\s*\w/);
    const a = filterTerm('a', 'value', 1);
    const b = filterTerm('b', 'value', 'x');
    const c = filterTerm('c', 'exists');
    expect(expression).toBe(
      `(filter_terms["${a}"] != 1 or (filter_terms["${b}"] == 1 and filter_terms["${c}"] == 1))`,
    );
  });

  it('writes range bounds with a number marker, and its negation as "not a number, or outside"', () => {
    const number = filterTerm('year', 'number');
    expect(filterToExpression(f.range('year', { gte: 2008, lt: 2016 }))).toBe(
      `(filter_terms["${number}"] == 1 and metadata["year"] >= 2008 and metadata["year"] < 2016)`,
    );
    expect(filterToExpression(f.not(f.range('rating', { gt: 5.5 })))).toBe(
      `(filter_terms["${filterTerm('rating', 'number')}"] != 1 or metadata["rating"] <= 5.5)`,
    );
  });

  it('validates before translating', () => {
    expect(() => filterToExpression({ op: 'eq', field: 'a b"c', value: 1 })).toThrow(
      InvalidInputError,
    );
    expect(() => filterToExpression({ op: 'and', filters: [] } as Filter)).toThrow(
      InvalidInputError,
    );
  });

  it('hostile values cannot change the meaning: the expression differs only in one hex digest', () => {
    const benign = filterToExpression(f.eq('author', 'benign'));
    const shape = benign.replace(/t[0-9a-f]{32}/g, 'T');
    for (const value of HOSTILE_VALUES) {
      for (const build of [
        (v: string) => f.eq('author', v),
        (v: string) => f.ne('author', v),
        (v: string) => f.not(f.in('author', [v])),
      ]) {
        const expression = filterToExpression(build(value));
        const reference = filterToExpression(build('benign'));
        expect(expression.replace(/t[0-9a-f]{32}/g, 'T')).toBe(
          reference.replace(/t[0-9a-f]{32}/g, 'T'),
        );
        // Nothing of the value is in the expression: only field names, digests, operators.
        expect(expression).toMatch(/^[()\w\s"[\]=!<>.-]*$/);
        if (value.length > 3) expect(expression).not.toContain(value);
      }
      expect(filterToExpression(f.eq('author', value)).replace(/t[0-9a-f]{32}/g, 'T')).toBe(shape);
    }
  });

  it('a hostile value matches only documents that hold exactly it', () => {
    const documents: Metadata[] = HOSTILE_VALUES.map((author) => ({ author }));
    documents.push({ author: 'someone' }, {}, { author: null });
    for (const [i, value] of HOSTILE_VALUES.entries()) {
      const matches = documents.map((metadata) =>
        evaluateExpression(filterToExpression(f.eq('author', value)), metadata),
      );
      expect(matches.filter(Boolean)).toHaveLength(1);
      expect(matches[i]).toBe(true);
      const others = documents.map((metadata) =>
        evaluateExpression(filterToExpression(f.ne('author', value)), metadata),
      );
      expect(others.filter(Boolean)).toHaveLength(documents.length - 1);
    }
  });

  it('means what core means, for every conformance filter over the synthetic corpus', () => {
    const corpus = syntheticCorpus({
      documents: 120,
      queries: 1,
      dimension: 4,
      colbertRows: [1, 2],
    });
    const extra: Filter[] = [
      f.not(f.or(f.eq('lang', 'en'), f.range('year', { lte: 2005 }))),
      f.not(f.not(f.eq('tags', 'code'))),
      f.in('year', [2001, 2002, 2003]),
      f.not(f.range('rating', { gte: 2, lte: 8 })),
      f.eq('published', false),
      f.eq('year', '2012' as unknown as number),
      f.not(f.exists('tags')),
    ];
    // One assertion over all filter x record pairs, not thousands of expect() calls each building a
    // message. evaluateExpression parses the expression per record: ~1 s on an idle core, 6 s
    // measured beside an npm ci; 30 s leaves room for a heavily loaded 2-core machine.
    const mismatches: string[] = [];
    for (const filter of [...FILTER_CASES.map((c) => c.filter), ...extra]) {
      const expression = filterToExpression(filter);
      for (const record of corpus.records) {
        if (
          evaluateExpression(expression, record.metadata) !==
          evaluateFilter(filter, record.metadata)
        ) {
          mismatches.push(`${JSON.stringify(filter)} on ${record.id}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 30_000);
});

describe('andExpressions', () => {
  it('joins present parts only', () => {
    expect(andExpressions('', undefined)).toBe('');
    expect(andExpressions('a == 1', '')).toBe('a == 1');
    expect(andExpressions('a == 1', 'b == 2')).toBe('(a == 1) and (b == 2)');
  });
});
