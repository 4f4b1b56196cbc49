import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { M3Record } from '../document.js';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { Filter } from '../filter/filter.js';
import type { ConformanceContext } from './conformance-context.js';
import { queryArbitrary, recordArbitrary } from './fuzz-arbitraries.js';
import { fuzzParameters } from './fuzz-parameters.js';

export interface FuzzTestOptions {
  /**
   * Property runs per fuzz test. Each write run is a few requests: keep it small (20-50) for
   * real servers so the int suites stay fast; the exact store can afford hundreds.
   */
  readonly fuzzRuns?: number;
}

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** What a stored copy must still say: the text as given, and each metadata value (null = absent). */
function sameDocument(stored: M3Record | undefined, given: M3Record): string | undefined {
  if (stored === undefined) return 'not found';
  if ((stored.text ?? '') !== (given.text ?? '')) return `text ${JSON.stringify(stored.text)}`;
  for (const [key, value] of Object.entries(given.metadata ?? {})) {
    const back = stored.metadata?.[key] ?? null;
    if (!sameValue(back, value ?? null))
      return `metadata.${key} ${JSON.stringify(back)} for ${JSON.stringify(value)}`;
  }
  return undefined;
}

/**
 * Equal as JSON, except that a number may come back one or two units in the last place off:
 * Qdrant 1.19's JSON parser reads 8.217791822690404e-229 as 8.217791822690403e-229 (measured
 * with curl against the server, no m3kit involved), so exact equality would fail the backend,
 * not the adapter. Anything larger than 4 ULPs is still a failure.
 */
function sameValue(back: unknown, given: unknown): boolean {
  if (typeof back === 'number' && typeof given === 'number') {
    if (back === given) return true;
    const scale = Math.max(Math.abs(back), Math.abs(given));
    return Math.abs(back - given) <= 4 * Number.EPSILON * scale;
  }
  if (Array.isArray(back) && Array.isArray(given)) {
    return back.length === given.length && back.every((item, i) => sameValue(item, given[i]));
  }
  return JSON.stringify(back) === JSON.stringify(given);
}

/**
 * Property-based tests of every store's public inputs, after the shared ones: batches of records
 * with hostile parts (NaN, Infinity, -0, wrong dimensions, non-string and 513-byte ids, deep,
 * circular and BigInt metadata, null outputs) and queries with hostile fields (topK, fusion,
 * weights, candidates, the query vector). A store must reject exactly the hostile items, each
 * with a typed error, write nothing for them (count before and after), keep what it accepted as
 * given, and answer a valid query with a well-formed ranking.
 */
export function fuzzTests(context: ConformanceContext, options: FuzzTestOptions = {}): void {
  const runs = options.fuzzRuns ?? 20;
  // The suite's per-test timeout is sized for one request; a long run (M3KIT_FUZZ_RUNS) makes
  // thousands, so the timeout grows with the runs actually made (200 ms each, at least 2 min).
  const timeout = Math.max(120_000, (fuzzParameters(runs).numRuns ?? runs) * 200);

  it(
    'fuzz: upsert rejects exactly the hostile records with typed errors and writes only the valid ones',
    async () => {
      const dimension = context.spec.denseDimension;
      const batches = fc.uniqueArray(recordArbitrary(dimension, 'fz-'), {
        minLength: 1,
        maxLength: 4,
        selector: (tagged) => tagged.value.id,
      });
      await fc.assert(
        fc.asyncProperty(batches, async (batch) => {
          const before = await context.store.count();
          const records = batch.map((tagged) => tagged.value);
          const valid = batch.filter((tagged) => tagged.hostile.length === 0).map((t) => t.value);
          const hostile = batch.filter((tagged) => tagged.hostile.length > 0);
          const outcome = await settle(context.store.upsert(records, { onFailure: 'report' }));
          try {
            expect(outcome.error, String(outcome.error)).toBeUndefined();
            const report = outcome.value!;
            expect([...report.written].sort()).toEqual(valid.map((r) => r.id).sort());
            expect(report.failed.length, hostile.map((t) => t.hostile.join('+')).join('; ')).toBe(
              hostile.length,
            );
            for (const failure of report.failed) {
              expect(InvalidInputError.isInstance(failure.error), String(failure.error)).toBe(true);
            }
            // Nothing written for a rejected record; every accepted one readable as given.
            expect(await context.store.count()).toBe(before + valid.length);
            const rejectedIds = hostile
              .map((t) => t.value.id)
              .filter((id): id is string => typeof id === 'string' && id.length > 0);
            if (rejectedIds.length > 0) {
              const found = await context.store.get(rejectedIds).catch(() => []);
              expect(found.map((r) => r.id)).toEqual([]);
            }
            if (valid.length > 0) {
              const stored = await context.store.get(valid.map((r) => r.id));
              const byId = new Map(stored.map((r) => [r.id, r as M3Record]));
              for (const record of valid) {
                expect(sameDocument(byId.get(record.id), record), JSON.stringify(record.id)).toBe(
                  undefined,
                );
              }
            }
          } finally {
            if (valid.length > 0) await context.store.delete(valid.map((r) => r.id));
          }
        }),
        fuzzParameters(runs),
      );
    },
    timeout,
  );

  it(
    'fuzz: query rejects hostile inputs with InvalidInputError and answers valid ones with a well-formed ranking',
    async () => {
      const embedding = context.corpus.queries[0]!;
      const corpusIds = new Set(context.corpus.records.map((r) => r.id));
      await fc.assert(
        fc.asyncProperty(queryArbitrary(embedding), async ({ value: query, hostile }) => {
          const outcome = await settle(context.store.query(query));
          if (hostile.length > 0) {
            expect(
              InvalidInputError.isInstance(outcome.error),
              `${hostile.join(', ')}: got ${outcome.error === undefined ? 'an answer' : String(outcome.error)}`,
            ).toBe(true);
            return;
          }
          expect(outcome.error, String(outcome.error)).toBeUndefined();
          const { hits } = outcome.value!;
          expect(hits.length).toBeLessThanOrEqual(query.topK);
          expect(hits.length).toBeGreaterThan(0);
          expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
          // Every hit is a record the store holds: the corpus, or scratch records other tests of
          // the suite left in the collection (an aborted upsert keeps what it wrote).
          const strangers = hits.map((h) => h.id).filter((id) => !corpusIds.has(id));
          if (strangers.length > 0) {
            const held = await context.store.get(strangers);
            expect(held.map((r) => r.id).sort()).toEqual([...strangers].sort());
          }
          for (const [i, hit] of hits.entries()) {
            expect(Number.isFinite(hit.score), `score ${hit.score}`).toBe(true);
            if (i > 0) expect(hit.score).toBeLessThanOrEqual(hits[i - 1]!.score + 1e-6);
          }
        }),
        fuzzParameters(runs),
      );
    },
    timeout,
  );

  // Plain regressions: every adapter must validate with the collection spec (resolveQuery's spec
  // form), not only the signals, and check count()'s filter.
  it('rejects a query vector that is not unit length (the spec form of resolveQuery runs)', async () => {
    const embedding = context.corpus.queries[0]!;
    const dense = Float32Array.from(embedding.dense!, (v) => v * 3);
    const { error } = await settle(context.store.query({ embedding: { dense }, topK: 3 }));
    expect(InvalidInputError.isInstance(error), String(error)).toBe(true);
    expect(String(error)).toMatch(/unit length|norm/i);
  });

  it('rejects a query ColBERT matrix of the wrong dimension with a DimensionMismatchError', async () => {
    const embedding = context.corpus.queries[0]!;
    const dim = context.spec.denseDimension + 1;
    const data = new Float32Array(dim).fill(1 / Math.sqrt(dim));
    const { error } = await settle(
      context.store.query({
        embedding: { ...embedding, colbert: { data, rows: 1, dim } },
        topK: 3,
      }),
    );
    expect(DimensionMismatchError.isInstance(error), String(error)).toBe(true);
  });

  it('rejects a malformed count() filter with InvalidInputError', async () => {
    for (const filter of [
      { op: 'eq', field: 'a b', value: 1 },
      { op: 'and', filters: [] },
      { op: 'magic', field: 'lang' },
      { op: 'in', field: 'lang', values: [Number.NaN] },
    ]) {
      const { error } = await settle(context.store.count(filter as unknown as Filter));
      expect(
        InvalidInputError.isInstance(error),
        `${JSON.stringify(filter)}: ${String(error)}`,
      ).toBe(true);
    }
  });
}
