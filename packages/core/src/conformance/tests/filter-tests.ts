import { expect, it } from 'vitest';
import { InvalidInputError } from '../../errors/invalid-input-error.js';
import { UnsupportedError } from '../../errors/unsupported-error.js';
import { evaluateFilter } from '../../filter/evaluate-filter.js';
import type { Filter, FilterOp } from '../../filter/filter.js';
import { FILTER_CASES } from '../filter-cases.js';
import { expectExactRanking, recallAt10 } from '../compare.js';
import type { ConformanceContext } from '../conformance-context.js';

export function filterTests(context: ConformanceContext): void {
  for (const { label, filter } of FILTER_CASES) {
    it(`filter ${label}: count and query agree with the reference meaning`, async () => {
      const missing = opsOf(filter).filter((op) => !context.capabilities.filterOps.includes(op));
      if (missing.length > 0) {
        // NOT_SUPPORTED, explicitly: the store must refuse the filter with a typed error, never
        // answer it wrongly or ignore it.
        console.log(
          `NOT_SUPPORTED: ${context.capabilities.backend} filter ${label} (ops ${missing.join(', ')} not declared)`,
        );
        const error = await context.store.count(filter).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(
          UnsupportedError.isInstance(error) || InvalidInputError.isInstance(error),
          `undeclared filter ops ${missing.join(', ')}: got ${String(error)}`,
        ).toBe(true);
        return;
      }
      const expectedCount = await context.exact.count(filter);
      expect(await context.store.count(filter), `count(${JSON.stringify(filter)})`).toBe(
        expectedCount,
      );
      const metadataById = new Map(context.corpus.records.map((r) => [r.id, r.metadata]));
      const query = {
        embedding: context.corpus.queries[0]!,
        signals: ['dense'] as const,
        topK: 8,
        filter,
      };
      const actual = await context.store.query(query);
      for (const hit of actual.hits) {
        expect(
          evaluateFilter(filter, metadataById.get(hit.id)),
          `${hit.id} does not match ${label}`,
        ).toBe(true);
      }
      const expected = await context.exact.query(query);
      if (context.capabilities.accuracy.dense === 'exact') {
        const all = await context.exact.query({ ...query, topK: context.corpus.records.length });
        const scores = new Map(all.hits.map((h) => [h.id, h.score]));
        expectExactRanking(
          actual.hits,
          expected.hits,
          scores,
          context.capabilities.scoreTolerance,
          `filtered ${label}`,
        );
      } else {
        expect(recallAt10(actual.hits, expected.hits)).toBeGreaterThanOrEqual(
          context.capabilities.accuracy.dense.minRecallAt10,
        );
      }
    });
  }

  it('the hostile-string filters really match documents (the corpus has them)', async () => {
    const hostile = FILTER_CASES.filter((c) => c.label.includes('hostile'));
    for (const { filter } of hostile) expect(await context.exact.count(filter)).toBeGreaterThan(0);
  });
}

/** Every op a filter uses, nested ones included. */
export function opsOf(filter: Filter): FilterOp[] {
  const ops = new Set<FilterOp>([filter.op]);
  if (filter.op === 'and' || filter.op === 'or')
    for (const child of filter.filters) for (const op of opsOf(child)) ops.add(op);
  if (filter.op === 'not') for (const op of opsOf(filter.filter)) ops.add(op);
  return [...ops];
}
