import { expect, it } from 'vitest';
import type { M3Record } from '../../document.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { DimensionMismatchError } from '../../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../../errors/invalid-input-error.js';
import { PartialWriteError } from '../../errors/partial-write-error.js';
import type { Filter } from '../../filter/filter.js';
import { copyAs, type ConformanceContext } from '../conformance-context.js';

function withEmbedding(
  record: M3Record,
  id: string,
  change: Partial<M3Record['embedding']>,
): M3Record {
  return { ...copyAs(record, id), embedding: { ...record.embedding, ...change } };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

export function hostileInputTests(context: ConformanceContext): void {
  const source = (): M3Record => context.corpus.records[4]!;

  const badRecords = (): Array<{ label: string; record: M3Record; dimension?: boolean }> => {
    const dense = source().embedding.dense!;
    const colbert = source().embedding.colbert!;
    const nan = dense.slice();
    nan[7] = Number.NaN;
    return [
      {
        label: 'dense of the wrong dimension',
        record: withEmbedding(source(), 'bad-dim', { dense: dense.slice(0, 512) }),
        dimension: true,
      },
      { label: 'NaN in dense', record: withEmbedding(source(), 'bad-nan', { dense: nan }) },
      {
        label: 'unsorted lexical ids',
        record: withEmbedding(source(), 'bad-lexical', {
          lexical: { indices: Uint32Array.of(9, 3), values: Float32Array.of(0.1, 0.2) },
        }),
      },
      {
        label: 'negative lexical weight',
        record: withEmbedding(source(), 'bad-weight', {
          lexical: { indices: Uint32Array.of(3, 9), values: Float32Array.of(0.1, -0.2) },
        }),
      },
      {
        label: 'ColBERT of the wrong dimension',
        record: withEmbedding(source(), 'bad-colbert', {
          colbert: { data: colbert.data.slice(0, 512 * 2), rows: 2, dim: 512 },
        }),
        dimension: true,
      },
      {
        label: 'text with a lone surrogate',
        record: { ...copyAs(source(), 'bad-text'), text: 'broken \ud800 text' },
      },
      { label: 'an empty id', record: copyAs(source(), '') },
    ];
  };

  it('reports each bad record by id with a typed error and writes none of them', async () => {
    const before = await context.store.count();
    const cases = badRecords();
    const report = await context.store.upsert(
      cases.map((c) => c.record),
      { onFailure: 'report' },
    );
    expect(report.written).toEqual([]);
    expect(report.failed.map((f) => f.id)).toEqual(cases.map((c) => c.record.id));
    report.failed.forEach((failure, i) => {
      expect(
        InvalidInputError.isInstance(failure.error),
        `${cases[i]!.label}: ${failure.error.message}`,
      ).toBe(true);
      if (cases[i]!.dimension)
        expect(DimensionMismatchError.isInstance(failure.error), cases[i]!.label).toBe(true);
    });
    expect(await context.store.count()).toBe(before);
  });

  it('writes the good records of a mixed batch and throws a PartialWriteError naming the bad one', async () => {
    const good = [copyAs(source(), 'mixed-good-1'), copyAs(source(), 'mixed-good-2')];
    const bad = badRecords()[0]!.record;
    const error = await rejection(context.store.upsert([good[0]!, bad, good[1]!]));
    expect(PartialWriteError.isInstance(error), String(error)).toBe(true);
    const report = (error as PartialWriteError).report;
    expect(report.failed.map((f) => f.id)).toEqual([bad.id]);
    expect([...report.written].sort()).toEqual(good.map((r) => r.id).sort());
    expect((await context.store.get(good.map((r) => r.id))).length).toBe(2);
    await context.store.delete(good.map((r) => r.id));
  });

  it('rejects malformed queries with clear errors', async () => {
    const embedding = context.corpus.queries[0]!;
    const cases: Array<[string, Promise<unknown>]> = [
      ['topK 0', context.store.query({ embedding, topK: 0 })],
      [
        'wrong dense dimension',
        context.store.query({ embedding: { dense: new Float32Array(3) }, topK: 3 }),
      ],
      [
        'a bad filter field name',
        context.store.query({ embedding, topK: 3, filter: { op: 'eq', field: 'a b"c', value: 1 } }),
      ],
      [
        'an empty and-filter',
        context.store.query({ embedding, topK: 3, filter: { op: 'and', filters: [] } as Filter }),
      ],
      [
        'a signal the query lacks',
        context.store.query({
          embedding: { dense: embedding.dense! },
          signals: ['colbert'],
          topK: 3,
        }),
      ],
    ];
    for (const [label, promise] of cases) {
      const error = await rejection(promise);
      expect(InvalidInputError.isInstance(error), `${label}: got ${String(error)}`).toBe(true);
    }
  });

  it('stops at an aborted signal', async () => {
    const signal = AbortSignal.abort(new Error('user cancelled'));
    const errors = [
      await rejection(context.store.upsert([copyAs(source(), 'aborted')], { signal })),
      await rejection(
        context.store.query({ embedding: context.corpus.queries[0]!, topK: 3 }, { signal }),
      ),
    ];
    for (const error of errors) expect(AbortedError.isInstance(error), String(error)).toBe(true);
    expect(await context.store.get(['aborted'])).toEqual([]);
  });
}
