import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { M3Record } from '../document.js';
import { recordArbitrary } from '../conformance/fuzz-arbitraries.js';
import { prepareWrites } from '../adapter/prepare-writes.js';
import { fuzzParameters } from '../conformance/fuzz-parameters.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import { SYNTHETIC_METADATA_FIELDS } from '../testing/synthetic-corpus.js';
import { RECORD_LIMITS, validateRecord } from './validate-record.js';

const DIMENSION = 8;
const spec = resolveCollectionSpec({
  name: 'fuzz',
  denseDimension: DIMENSION,
  metadataFields: SYNTHETIC_METADATA_FIELDS,
});

function outcome(record: M3Record): unknown {
  try {
    validateRecord(record, spec);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('validateRecord under fuzzing', () => {
  it('accepts exactly the records built from valid parts; rejects the rest with a typed error naming the id', () => {
    fc.assert(
      fc.property(recordArbitrary(DIMENSION, 'r'), ({ value: record, hostile }) => {
        const error = outcome(record);
        if (hostile.length === 0) {
          expect(error, String(error)).toBeUndefined();
          return;
        }
        expect(error, `accepted a record with ${hostile.join(', ')}`).toBeDefined();
        expect(InvalidInputError.isInstance(error), `${hostile.join(', ')}: ${String(error)}`).toBe(
          true,
        );
        // The id is named whenever there is one to name (a bad id is itself the problem).
        const id = record.id;
        if (typeof id === 'string' && id.length > 0 && id.isWellFormed()) {
          const item = (error as InvalidInputError).item;
          expect(item !== undefined && id.startsWith(item), `item ${item} for ${id}`).toBe(true);
        }
      }),
      fuzzParameters(1_500),
    );
    // Runs are counted, not timed: the timeout only catches a hang, with room for a loaded machine.
  }, 60_000);

  it('never throws anything but InvalidInputError on arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.anything({ maxDepth: 3, withBigInt: true, withNullPrototype: true, withMap: true }),
        (value) => {
          const error = outcome(value as M3Record);
          expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
        },
      ),
      fuzzParameters(1_000),
    );
  }, 60_000);
});

// Counterexamples the fuzzer found, kept as plain tests.
describe('validateRecord regressions', () => {
  const base = (): M3Record => {
    const dense = new Float32Array(DIMENSION);
    dense[0] = 1;
    return {
      id: 'reg',
      embedding: {
        dense,
        lexical: { indices: Uint32Array.of(5), values: Float32Array.of(0.5) },
        colbert: { data: dense.slice(), rows: 1, dim: DIMENSION },
      },
    };
  };
  const rejects = (record: unknown, message: RegExp): void => {
    const error = outcome(record as M3Record);
    expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  };

  it('rejects null lexical weights and ColBERT output by name (was a TypeError)', () => {
    rejects({ ...base(), embedding: { ...base().embedding, lexical: null } }, /lexical weights/);
    rejects({ ...base(), embedding: { ...base().embedding, colbert: null } }, /colbert/i);
  });

  it('rejects a BigInt id by name (JSON.stringify threw a TypeError)', () => {
    rejects({ ...base(), id: 10n }, /record id must be a non-empty string, got 10n/);
  });

  it('rejects deep, circular and BigInt metadata with InvalidInputError, not a RangeError or TypeError', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    rejects({ ...base(), metadata: { deep } }, /metadata field "deep"/);
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    rejects({ ...base(), metadata: circular }, /metadata field "self"/);
    rejects({ ...base(), metadata: { big: 10n } }, /metadata field "big"/);
  });

  it('still measures metadata size after the per-field checks', () => {
    rejects(
      { ...base(), metadata: { big: 'x'.repeat(RECORD_LIMITS.metadataBytes) } },
      /metadata is \d+ bytes as JSON/,
    );
  });

  it('reports a record whose id is a null-prototype object instead of crashing the write (String() threw)', () => {
    const record = { ...base(), id: Object.create(null) as unknown as string };
    const { items, failed } = prepareWrites([record, base()], spec);
    expect(items.map((item) => item.id)).toEqual(['reg']);
    expect(failed.map((failure) => failure.id)).toEqual(['object']);
    expect(InvalidInputError.isInstance(failed[0]!.error)).toBe(true);
  });
});
