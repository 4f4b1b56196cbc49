import { expect, it } from 'vitest';
import { evaluateFilter } from '../../filter/evaluate-filter.js';
import { FILTER_CASES } from '../filter-cases.js';
import { expectExactRanking, recallAt10 } from '../compare.js';
import type { ConformanceContext } from '../conformance-context.js';

export function filterTests(context: ConformanceContext): void {
  for (const { label, filter } of FILTER_CASES) {
    it(`filter ${label}: count and query agree with the reference meaning`, async () => {
      const expectedCount = await context.exact.count(filter);
      expect(await context.store.count(filter), `count(${JSON.stringify(filter)})`).toBe(expectedCount);
      const metadataById = new Map(context.corpus.records.map((r) => [r.id, r.metadata]));
      const query = { embedding: context.corpus.queries[0]!, signals: ['dense'] as const, topK: 8, filter };
      const actual = await context.store.query(query);
      for (const hit of actual.hits) {
        expect(evaluateFilter(filter, metadataById.get(hit.id)), `${hit.id} does not match ${label}`).toBe(true);
      }
      const expected = await context.exact.query(query);
      if (context.capabilities.accuracy.dense === 'exact') {
        const all = await context.exact.query({ ...query, topK: context.corpus.records.length });
        const scores = new Map(all.hits.map((h) => [h.id, h.score]));
        expectExactRanking(actual.hits, expected.hits, scores, context.capabilities.scoreTolerance, `filtered ${label}`);
      } else {
        expect(recallAt10(actual.hits, expected.hits)).toBeGreaterThanOrEqual(context.capabilities.accuracy.dense.minRecallAt10);
      }
    });
  }

  it('the hostile-string filters really match documents (the corpus has them)', async () => {
    const hostile = FILTER_CASES.filter((c) => c.label.includes('hostile'));
    for (const { filter } of hostile) expect(await context.exact.count(filter)).toBeGreaterThan(0);
  });
}
