import { expect, it } from 'vitest';
import type { M3Record } from '../../document.js';
import { AbortedError } from '../../errors/aborted-error.js';
import { InvalidInputError } from '../../errors/invalid-input-error.js';
import { evaluateFilter } from '../../filter/evaluate-filter.js';
import { filters, type Filter } from '../../filter/filter.js';
import type { Fusion, HybridQuery } from '../../query/hybrid-query.js';
import type { ScannedRecord } from '../../store/store-v1.js';
import { uniqueCollectionName } from '../../testing/unique-collection-name.js';
import { copyAs, type ConformanceContext } from '../conformance-context.js';
import type { StoreConformanceOptions } from '../run-store-conformance.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

async function scanAll(
  pages: AsyncIterable<readonly ScannedRecord[]>,
  pageSize: number,
): Promise<ScannedRecord[]> {
  const all: ScannedRecord[] = [];
  for await (const page of pages) {
    expect(page.length, 'page size').toBeLessThanOrEqual(pageSize);
    all.push(...page);
  }
  return all;
}

/** exists(), describeCollection() and scan(): the contract sync and the CLI build on. */
export function collectionContractTests(
  context: ConformanceContext,
  options: StoreConformanceOptions,
): void {
  it('exists() and describeCollection() see no collection before ensureCollection and after drop, and create nothing', async () => {
    const spec = {
      ...context.spec,
      name: uniqueCollectionName('m3conf_exists'),
      model: 'conformance/model-1',
    };
    const store = await options.create(spec);
    try {
      expect(await store.exists(), 'exists() before ensureCollection').toBe(false);
      expect(
        await store.describeCollection(),
        'describeCollection() of a missing collection',
      ).toBeUndefined();
      expect(await store.exists(), 'asking created the collection').toBe(false);
      await store.ensureCollection();
      expect(await store.exists(), 'exists() after ensureCollection').toBe(true);
      const described = await store.describeCollection();
      expect(described?.name).toBe(spec.name);
      expect(described?.denseDimension).toBe(spec.denseDimension);
      expect(described?.signals).toEqual(store.collection.signals);
      expect(described?.model).toBe(spec.model);
      const byName = (fields: readonly { name: string; type: string }[] | undefined) =>
        [...(fields ?? [])].map((f) => `${f.name}:${f.type}`).sort();
      expect(byName(described?.metadataFields)).toEqual(byName(store.collection.metadataFields));
      await store.drop();
      expect(await store.exists(), 'exists() after drop').toBe(false);
      expect(await store.describeCollection(), 'describeCollection() after drop').toBeUndefined();
    } finally {
      await store.drop().catch(() => undefined);
      await store.close();
    }
  });

  it('scan() yields every id once with its metadata, across pages of a small page size', async () => {
    const all = await scanAll(context.store.scan({ pageSize: 7 }), 7);
    const expected = new Map(context.corpus.records.map((r) => [r.id, r.metadata]));
    expect(all.map((r) => r.id).sort()).toEqual([...expected.keys()].sort());
    for (const record of all)
      expect(record.metadata, `${record.id} metadata`).toEqual(expected.get(record.id));
  });

  it('scan({ filter }) yields exactly the matching ids', async () => {
    const filter = filters.or(filters.eq('lang', 'ja'), filters.range('year', { gte: 2015 }));
    const all = await scanAll(context.store.scan({ filter, pageSize: 50 }), 50);
    const expected = context.corpus.records
      .filter((r) => evaluateFilter(filter, r.metadata))
      .map((r) => r.id);
    expect(expected.length, 'the filter matches something').toBeGreaterThan(0);
    expect(all.map((r) => r.id).sort()).toEqual(expected.sort());
  });

  it('scan() stops with an AbortedError when aborted between pages, and validates its options', async () => {
    const controller = new AbortController();
    const error = await rejection(
      (async () => {
        for await (const _page of context.store.scan({ pageSize: 5, signal: controller.signal }))
          controller.abort();
      })(),
    );
    expect(AbortedError.isInstance(error), `got ${String(error)}`).toBe(true);
    for (const bad of [
      { pageSize: 0 },
      { pageSize: 1.5 },
      { filter: { op: 'and', filters: [] } as Filter },
    ]) {
      const invalid = await rejection(scanAll(context.store.scan(bad), 10_000));
      expect(
        InvalidInputError.isInstance(invalid),
        `scan(${JSON.stringify(bad)}): got ${String(invalid)}`,
      ).toBe(true);
    }
  });
}

/** Inputs every store must judge the same way: the shared validation of issue 11. */
export function inputContractTests(context: ConformanceContext): void {
  it('count(filter) validates the filter', async () => {
    const bad: Filter[] = [
      { op: 'and', filters: [] } as Filter,
      { op: 'eq', field: 'a b"c', value: 1 },
      { op: 'eq', field: 'lang', value: Number.NaN },
      { op: 'magic', field: 'lang' } as unknown as Filter,
    ];
    for (const filter of bad) {
      const error = await rejection(context.store.count(filter));
      expect(
        InvalidInputError.isInstance(error),
        `count(${JSON.stringify(filter)}): got ${String(error)}`,
      ).toBe(true);
    }
  });

  it('keeps one copy of an id given twice in one upsert, the last occurrence', async () => {
    const [a, b] = context.corpus.records;
    const report = await context.store.upsert([
      copyAs(a!, 'dup-1', { batch: 'dup', year: 1 }),
      copyAs(b!, 'dup-1', { batch: 'dup', year: 2 }),
    ]);
    expect(report.written, 'the report names the id once').toEqual(['dup-1']);
    expect(await context.store.count(filters.eq('batch', 'dup'))).toBe(1);
    const [got] = await context.store.get(['dup-1']);
    expect(got?.metadata).toEqual({ batch: 'dup', year: 2 });
    await context.store.delete(['dup-1']);
  });

  it('rejects malformed queries with InvalidInputError', async () => {
    const embedding = context.corpus.queries[0]!;
    const nan = embedding.dense!.slice();
    nan[3] = Number.NaN;
    const scaled = embedding.dense!.map((v) => v * 3);
    const cases: Array<[string, Partial<HybridQuery>]> = [
      ['NaN in the dense vector', { embedding: { ...embedding, dense: nan } }],
      ['an unnormalised dense vector', { embedding: { ...embedding, dense: scaled } }],
      ["fusion kind 'magic'", { fusion: { kind: 'magic' } as unknown as Fusion }],
      ['rrf k 0', { fusion: { kind: 'rrf', k: 0 } }],
      ['NaN weight', { weights: { dense: Number.NaN } }],
      ['negative weight', { weights: { sparse: -1 } }],
      ['all weights zero', { weights: { dense: 0, sparse: 0, colbert: 0 } }],
      ['topK 0', { topK: 0 }],
      ['topK 1e9', { topK: 1e9 }],
      ['topK 1.5', { topK: 1.5 }],
      ['candidates 0', { candidates: 0 }],
      ['candidates NaN for one signal', { candidates: { dense: Number.NaN } }],
      ['an unknown signal', { signals: ['bm25'] as unknown as HybridQuery['signals'] }],
    ];
    for (const [label, change] of cases) {
      const error = await rejection(context.store.query({ embedding, topK: 5, ...change }));
      expect(InvalidInputError.isInstance(error), `${label}: got ${String(error)}`).toBe(true);
    }
  });

  it('rejects records with an unnormalised dense vector or a value of another type than its field, writing neither', async () => {
    const source = context.corpus.records[5]!;
    const records: M3Record[] = [
      {
        ...copyAs(source, 'reject-norm', { batch: 'reject' }),
        embedding: { ...source.embedding, dense: source.embedding.dense!.map((v) => v * 2) },
      },
      copyAs(source, 'reject-drift', { batch: 'reject', year: 'twenty' as unknown as number }),
    ];
    const report = await context.store.upsert(records, { onFailure: 'report' });
    expect(report.written).toEqual([]);
    expect(report.failed.map((f) => f.id).sort()).toEqual(['reject-drift', 'reject-norm']);
    for (const failure of report.failed)
      expect(InvalidInputError.isInstance(failure.error), failure.error.message).toBe(true);
    expect(await context.store.get(records.map((r) => r.id))).toEqual([]);
  });

  it('an upsert aborted while it runs reports every id as written or failed, and holds every written one', async () => {
    const source = context.corpus.records;
    const records = Array.from({ length: 48 }, (_, i) =>
      copyAs(source[i % source.length]!, `abort-${i}`, { batch: 'abort' }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 0);
    const outcome = await context.store
      .upsert(records, { signal: controller.signal, onFailure: 'report' })
      .then(
        (report) => ({ report }),
        (error: unknown) => ({ error }),
      );
    try {
      if ('error' in outcome) {
        // Aborted before anything was sent: nothing may be stored.
        expect(AbortedError.isInstance(outcome.error), String(outcome.error)).toBe(true);
        expect(await context.store.count(filters.eq('batch', 'abort'))).toBe(0);
        return;
      }
      const { written, failed } = outcome.report;
      expect([...written, ...failed.map((f) => f.id)].sort()).toEqual(
        records.map((r) => r.id).sort(),
      );
      for (const failure of failed)
        expect(AbortedError.isInstance(failure.error), failure.error.message).toBe(true);
      // A batch in flight when the signal fired may have landed anyway; a written id must be stored.
      const stored = new Set((await context.store.get(records.map((r) => r.id))).map((r) => r.id));
      for (const id of written) expect(stored.has(id), `${id} reported written`).toBe(true);
    } finally {
      await context.store.delete(records.map((r) => r.id));
    }
  });
}
