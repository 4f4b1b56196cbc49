import { describe, expect, it } from 'vitest';
import type { M3Record } from '../document.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { resolveCollectionSpec } from '../store/collection-spec.js';
import { failureId, prepareDeletes, prepareWrites } from './prepare-writes.js';

const spec = resolveCollectionSpec({ name: 'kit', denseDimension: 2, signals: ['dense'] });
const record = (id: string, x = 1, text?: string): M3Record => ({
  id,
  ...(text === undefined ? {} : { text }),
  embedding: { dense: Float32Array.of(x, Math.sqrt(1 - x * x)) },
});

describe('prepareWrites', () => {
  it('keeps the last occurrence of an id, one entry per id, in last-occurrence order', () => {
    const { items, failed } = prepareWrites(
      [record('a', 1, 'first'), record('b'), record('a', 0.6, 'second')],
      spec,
    );
    expect(failed).toEqual([]);
    expect(items.map((item) => item.id)).toEqual(['b', 'a']);
    expect(items[1]!.record.text).toBe('second');
  });

  it('reports each rejected record by id in input order, typed, and prepares none of them', () => {
    const bad = { ...record('bad'), embedding: { dense: Float32Array.of(Number.NaN, 0) } };
    const prepared: string[] = [];
    const { items, failed } = prepareWrites(
      [
        record('ok'),
        bad,
        { ...record('x'), id: 42 } as unknown as M3Record,
        null as unknown as M3Record,
      ],
      spec,
      {
        prepare: (r) => {
          prepared.push(r.id);
          return r.id.toUpperCase();
        },
      },
    );
    expect(items.map((item) => item.value)).toEqual(['OK']);
    expect(prepared).toEqual(['ok']);
    expect(failed.map((f) => f.id)).toEqual(['bad', '42', 'undefined']);
    for (const failure of failed)
      expect(InvalidInputError.isInstance(failure.error), failure.error.message).toBe(true);
  });

  it('judges an id by its last occurrence: a bad last copy fails the id, an earlier bad one is ignored', () => {
    const bad = { ...record('a'), embedding: { dense: Float32Array.of(Number.NaN, 0) } };
    const lastBad = prepareWrites([record('a'), bad], spec);
    expect(lastBad.items).toEqual([]);
    expect(lastBad.failed.map((f) => f.id)).toEqual(['a']);
    const lastGood = prepareWrites([bad, record('a')], spec);
    expect(lastGood.items.map((item) => item.id)).toEqual(['a']);
    expect(lastGood.failed).toEqual([]);
  });

  it('reports a record prepare() rejects, mapping a foreign error to a BackendError', () => {
    const { items, failed } = prepareWrites([record('a'), record('b')], spec, {
      backend: 'kit',
      prepare: (r) => {
        if (r.id === 'b') throw new RangeError('too big for this backend');
        return r;
      },
    });
    expect(items.map((item) => item.id)).toEqual(['a']);
    expect(failed[0]!.id).toBe('b');
    expect(BackendError.isInstance(failed[0]!.error)).toBe(true);
    expect(failed[0]!.error.message).toMatch(/kit: upsert failed: too big/);
  });

  it('never dedupes records without a usable id: each empty id fails on its own', () => {
    const { failed } = prepareWrites([record(''), record('')], spec);
    expect(failed.map((f) => f.id)).toEqual(['', '']);
  });
});

describe('prepareDeletes', () => {
  it('merges duplicates and reports bad ids instead of throwing', () => {
    const { ids, failed } = prepareDeletes(['a', 'b', 'a', '', 'x'.repeat(600)]);
    expect(ids).toEqual(['a', 'b']);
    expect(failed).toHaveLength(2);
    expect(failed[0]!.id).toBe('');
  });
});

describe('failureId', () => {
  it('is the id when it is a string, else the value as text', () => {
    expect(failureId({ id: 'a' })).toBe('a');
    expect(failureId({ id: 7 })).toBe('7');
    expect(failureId(undefined)).toBe('undefined');
  });
});
