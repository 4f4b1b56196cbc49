import { expect, it } from 'vitest';
import type { HybridQuery } from '../../query/hybrid-query.js';
import type { QueryMode } from '../../store/store-v1.js';
import { expectExactRanking, recallAt10 } from '../compare.js';
import type { ConformanceContext } from '../conformance-context.js';

const MODES: ReadonlyArray<{ mode: QueryMode; query: Partial<HybridQuery> }> = [
  { mode: 'dense', query: { signals: ['dense'] } },
  { mode: 'sparse', query: { signals: ['sparse'] } },
  { mode: 'colbert', query: { signals: ['colbert'] } },
  { mode: 'weighted', query: { fusion: { kind: 'weighted' } } },
  { mode: 'rrf', query: { fusion: { kind: 'rrf' } } },
  { mode: 'dbsf', query: { fusion: { kind: 'dbsf' } } },
];

export function queryTests(context: ConformanceContext): void {
  for (const { mode, query } of MODES) {
    it(`${mode}: top-10 agrees with the exact store`, async () => {
      const accuracy = context.capabilities.accuracy[mode];
      const recalls: number[] = [];
      for (const [q, embedding] of context.corpus.queries.entries()) {
        const request: HybridQuery = { ...query, embedding, topK: 10, candidates: 40 };
        const actual = await context.store.query(request);
        const expected = await context.exact.query(request);
        expect(
          actual.execution.description.length,
          'execution says which path ran',
        ).toBeGreaterThan(0);
        // What ran natively must be what the store declares it can run natively.
        if (
          actual.execution.fusion === 'native' &&
          mode !== 'dense' &&
          mode !== 'sparse' &&
          mode !== 'colbert'
        ) {
          expect(
            context.capabilities.nativeFusion,
            `${mode} ran natively but nativeFusion does not declare it`,
          ).toContain(mode);
        }
        if (actual.execution.colbert === 'native') {
          expect(
            context.capabilities.nativeColbert,
            'ColBERT ran natively but nativeColbert is false',
          ).toBe(true);
        }
        if (accuracy === 'exact') {
          const all = await context.exact.query({
            ...request,
            topK: context.corpus.records.length,
          });
          const scores = new Map(all.hits.map((h) => [h.id, h.score]));
          expectExactRanking(
            actual.hits,
            expected.hits,
            scores,
            context.capabilities.scoreTolerance,
            `${mode} query ${q}`,
          );
        }
        recalls.push(recallAt10(actual.hits, expected.hits));
      }
      const recall = recalls.reduce((a, b) => a + b, 0) / recalls.length;
      console.log(
        `${context.capabilities.backend} ${mode}: recall@10 ${recall.toFixed(3)} over ${recalls.length} queries`,
      );
      if (accuracy !== 'exact')
        expect(recall, `${mode} recall@10`).toBeGreaterThanOrEqual(accuracy.minRecallAt10);
    });
  }

  it('returns text and metadata by default, and leaves them out when asked', async () => {
    const embedding = context.corpus.queries[1]!;
    const full = await context.store.query({ embedding, topK: 3 });
    expect(full.hits[0]!.text).toBeDefined();
    expect(full.hits[0]!.metadata).toBeDefined();
    const bare = await context.store.query({
      embedding,
      topK: 3,
      includeText: false,
      includeMetadata: false,
    });
    expect(bare.hits[0]!.text).toBeUndefined();
    expect(bare.hits[0]!.metadata).toBeUndefined();
  });

  it('reports per-signal scores that match the exact store for the hits it scored', async () => {
    const embedding = context.corpus.queries[2]!;
    const actual = await context.store.query({ embedding, topK: 5, fusion: { kind: 'weighted' } });
    const exact = await context.exact.query({ embedding, topK: context.corpus.records.length });
    const byId = new Map(exact.hits.map((h) => [h.id, h.signalScores]));
    for (const hit of actual.hits) {
      for (const [signal, score] of Object.entries(hit.signalScores)) {
        const want = byId.get(hit.id)?.[signal as keyof typeof hit.signalScores];
        expect(want, `${hit.id} ${signal}`).toBeDefined();
        const allowed = Math.max(
          1e-5,
          context.capabilities.scoreTolerance * Math.max(1, Math.abs(want!)),
        );
        expect(Math.abs(score - want!), `${hit.id} ${signal} score`).toBeLessThanOrEqual(allowed);
      }
    }
  });

  it('returns every document when topK exceeds the corpus', async () => {
    const total = context.corpus.records.length;
    const result = await context.store.query({
      embedding: context.corpus.queries[3]!,
      signals: ['dense'],
      topK: total + 50,
      candidates: total + 50,
    });
    expect(result.hits.length).toBe(total);
  });
}
