import { validateFilter, type Filter, type MetadataScalar } from '@m3kit/core';
import { fuzzParameters } from '@m3kit/core/conformance';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { parseFilter } from './filter-syntax.js';
import { UsageError } from './usage-error.js';

/** The `--filter` text of a filter the syntax can express (the inverse of parseFilter). */
function formatFilter(filter: Filter): string {
  if (filter.op === 'and') return filter.filters.map(formatFilter).join(' and ');
  switch (filter.op) {
    case 'eq':
      return `${filter.field}=${formatValue(filter.value)}`;
    case 'ne':
      return `${filter.field}!=${formatValue(filter.value)}`;
    case 'in':
      return `${filter.field} in ${filter.values.map(formatValue).join(',')}`;
    case 'not':
      if (filter.filter.op !== 'in') throw new Error('only not-in has a syntax');
      return `${filter.filter.field} not in ${filter.filter.values.map(formatValue).join(',')}`;
    case 'exists':
      return `has:${filter.field}`;
    case 'range': {
      const [symbol, bound] =
        filter.gte !== undefined
          ? ['>=', filter.gte]
          : filter.gt !== undefined
            ? ['>', filter.gt]
            : filter.lte !== undefined
              ? ['<=', filter.lte]
              : ['<', filter.lt!];
      return `${filter.field}${symbol}${formatNumber(bound)}`;
    }
    default:
      throw new Error(`no syntax for ${filter.op}`);
  }
}

function formatNumber(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function formatValue(value: MetadataScalar): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const field = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);
const scalar: fc.Arbitrary<MetadataScalar> = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
);
const number = fc.double({ noNaN: true, noDefaultInfinity: true });
const values = fc.array(scalar, { minLength: 1, maxLength: 4 });
const clause: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ op: fc.constantFrom('eq' as const, 'ne' as const), field, value: scalar }),
  fc.record({ op: fc.constant('in' as const), field, values }),
  fc.record({ field, values }).map(
    ({ field: name, values: list }): Filter => ({
      op: 'not',
      filter: { op: 'in', field: name, values: list },
    }),
  ),
  fc.record({ op: fc.constant('exists' as const), field }),
  fc
    .tuple(field, fc.constantFrom('gt', 'gte', 'lt', 'lte'), number)
    .map(([name, bound, value]) => ({ op: 'range', field: name, [bound]: value }) as Filter),
);
const expressible = fc
  .array(clause, { minLength: 1, maxLength: 5 })
  .map((clauses): Filter => (clauses.length === 1 ? clauses[0]! : { op: 'and', filters: clauses }));

/** Text near the syntax: its tokens, quotes, escapes and odd characters in any order. */
const syntaxSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'lang',
        'year',
        '=',
        '==',
        '!=',
        '>=',
        '>',
        '<=',
        '<',
        ' in ',
        ' not ',
        ' and ',
        ' or ',
        'has:',
        ',',
        '"',
        "'",
        '\\',
        '\\"',
        '1e999',
        '-0',
        '.5',
        'true',
        ' ',
        '\t',
        '\n',
        '\u0000',
        '\u00a0',
        '\u200f',
        '\ud800',
        '😀',
        'e\u0301',
      ),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

function parse(text: string): { filter?: Filter; error?: unknown } {
  try {
    return { filter: parseFilter(text) };
  } catch (error) {
    return { error };
  }
}

describe('--filter syntax under fuzzing', () => {
  it('parses what it prints: format then parse gives the filter back', () => {
    fc.assert(
      fc.property(expressible, (filter) => {
        const text = formatFilter(filter);
        const parsed = parse(text);
        expect(parsed.error, `${JSON.stringify(text)}: ${String(parsed.error)}`).toBeUndefined();
        expect(parsed.filter).toEqual(filter);
      }),
      fuzzParameters(2_000),
    );
  });

  it('on any text: a valid Filter (stable when printed and parsed again) or a UsageError, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(syntaxSoup, fc.string({ unit: 'binary' })), (text) => {
        const parsed = parse(text);
        if (parsed.error !== undefined) {
          expect(UsageError.isInstance(parsed.error), String(parsed.error)).toBe(true);
          expect(String(parsed.error)).toMatch(/--filter/);
          return;
        }
        validateFilter(parsed.filter!);
        expect(parseFilter(formatFilter(parsed.filter!))).toEqual(parsed.filter);
      }),
      fuzzParameters(3_000),
    );
  });
});

// Counterexamples the fuzzer found, kept as plain tests.
describe('--filter syntax regressions', () => {
  it('reads a long filter with work linear in its length (each clause lower-cased the rest)', () => {
    // 40,000 clauses, ~400 KB: the quadratic version lower-cased ~8e9 characters (~30 s here).
    // Work is counted, not timed, so the test means the same on a loaded machine.
    const text = Array.from({ length: 40_000 }, (_, i) => `f${i % 7}=${i}`).join(' and ');
    const original = String.prototype.toLowerCase;
    let lowered = 0;
    const spy = vi.spyOn(String.prototype, 'toLowerCase').mockImplementation(function (
      this: string,
    ) {
      lowered += this.length;
      return original.call(this);
    });
    let parsed: Filter;
    try {
      parsed = parseFilter(text);
    } finally {
      spy.mockRestore();
    }
    expect(parsed.op).toBe('and');
    expect((parsed as Extract<Filter, { op: 'and' }>).filters.length).toBe(40_000);
    expect(lowered).toBeLessThanOrEqual(2 * text.length);
  });
});
