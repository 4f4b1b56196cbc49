import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Metadata } from '../document.js';
import { fuzzParameters } from '../conformance/fuzz-parameters.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveFilter } from '../query/resolve-filter.js';
import { evaluateFilter } from './evaluate-filter.js';
import type { Filter } from './filter.js';
import { validateFilter } from './validate-filter.js';

/** Values hostile to a validator: every JS type, holes, exotic objects. */
const hostile = fc.oneof(
  fc.anything({
    maxDepth: 2,
    withBigInt: true,
    withNullPrototype: true,
    withMap: true,
    withSet: true,
    withBoxedValues: true,
    withDate: true,
  }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    10n,
    Symbol('s'),
    Object.create(null) as unknown,
    new Array(2),
    [undefined],
    '',
    'a b"c',
    'x'.repeat(65),
  ),
);

const fieldName = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/), hostile);
const scalar = fc.oneof(fc.string(), fc.double(), fc.boolean(), hostile);

/** Filter-shaped objects, most close to valid, with any part replaced by a hostile value. */
const filterLike = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constantFrom('eq', 'ne'), field: fieldName, value: scalar }),
    fc.record({
      op: fc.constant('in'),
      field: fieldName,
      values: fc.array(scalar, { maxLength: 4 }),
    }),
    fc.record(
      {
        op: fc.constant('range'),
        field: fieldName,
        gt: scalar,
        gte: scalar,
        lt: scalar,
        lte: scalar,
      },
      { requiredKeys: ['op', 'field'] },
    ),
    fc.record({ op: fc.constant('exists'), field: fieldName }),
    fc.record({
      op: fc.constantFrom('and', 'or'),
      filters: fc.oneof(
        fc.array(tie('node'), { maxLength: 3 }),
        fc.sparseArray(tie('node'), { maxLength: 3 }),
        hostile,
      ),
    }),
    fc.record({ op: fc.constant('not'), filter: tie('node') }),
    fc.record({ op: hostile, field: fieldName }),
    hostile,
  ),
})).node;

const metadata: fc.Arbitrary<Metadata> = fc.dictionary(
  fc.stringMatching(/^[a-c]$/),
  fc.oneof(
    fc.string(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string()),
  ),
);

describe('validateFilter under fuzzing', () => {
  it('accepts a filter or throws InvalidInputError naming the path, never another error', () => {
    fc.assert(
      fc.property(filterLike, metadata, (filter, record) => {
        let accepted = false;
        try {
          resolveFilter(filter as Filter, 'query.filter');
          accepted = true;
        } catch (error) {
          expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
          expect((error as Error).message).toMatch(/^query\.filter/);
        }
        // An accepted filter is one every consumer can walk: evaluating it gives a boolean.
        // (undefined is "no filter" and accepted as such.)
        if (!accepted || filter === undefined) return;
        // An accepted filter is one every consumer can walk: evaluating it gives a boolean, and
        // its JSON form (what a server receives; holes become null) is as valid.
        expect(typeof evaluateFilter(filter as Filter, record)).toBe('boolean');
        validateFilter(JSON.parse(JSON.stringify(filter)) as Filter);
      }),
      fuzzParameters(2_000),
    );
    // Runs are counted, not timed: the timeout only catches a hang, with room for a loaded machine.
  }, 60_000);

  it('never throws on arbitrary values at the top level', () => {
    fc.assert(
      fc.property(hostile, (value) => {
        try {
          validateFilter(value as Filter);
        } catch (error) {
          expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
        }
      }),
      fuzzParameters(1_000),
    );
  }, 60_000);
});

// Counterexamples the fuzzer found, kept as plain tests.
describe('validateFilter regressions', () => {
  const rejects = (filter: unknown, message: RegExp): void => {
    let caught: unknown;
    try {
      validateFilter(filter as Filter);
    } catch (error) {
      caught = error;
    }
    expect(InvalidInputError.isInstance(caught), String(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  };

  it('rejects holes in and/or lists and in values (forEach skipped them)', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested.
    rejects({ op: 'and', filters: [, { op: 'exists', field: 'a' }] }, /filter\.and\[0\]/);
    rejects({ op: 'or', filters: new Array(1) }, /filter\.or\[0\] is not a filter object/);
    rejects({ op: 'in', field: 'a', values: new Array(2) }, /filter\.values\[0\]/);
  });

  it('names a BigInt or a null-prototype object instead of crashing on it', () => {
    rejects({ op: 'eq', field: 10n, value: 1 }, /field name 10n/);
    rejects({ op: Object.create(null), field: 'a' }, /unknown filter op/);
    rejects({ op: Symbol('x'), field: 'a' }, /unknown filter op/);
  });
});
