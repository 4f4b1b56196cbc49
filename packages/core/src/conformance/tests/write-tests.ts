import { expect, it } from 'vitest';
import type { M3Record } from '../../document.js';
import { filters } from '../../filter/filter.js';
import { mapWithConcurrency } from '../../util/concurrency.js';
import { expectClose } from '../compare.js';
import { copyAs, type ConformanceContext } from '../conformance-context.js';

export function writeTests(context: ConformanceContext): void {
  const vectorTolerance = (): number => Math.max(1e-6, 10 * context.capabilities.scoreTolerance);

  it('returns text, metadata and embeddings as written', async () => {
    const wanted = context.corpus.records.slice(0, 5);
    const got = await context.store.get(
      wanted.map((r) => r.id),
      { includeEmbedding: true },
    );
    expect(got.map((r) => r.id)).toEqual(wanted.map((r) => r.id));
    got.forEach((record, i) => {
      const original = wanted[i]!;
      expect(record.text).toBe(original.text);
      expect(record.metadata).toEqual(original.metadata);
      expectClose(
        record.embedding!.dense!,
        original.embedding.dense!,
        vectorTolerance(),
        `${record.id} dense`,
      );
      expect(Array.from(record.embedding!.lexical!.indices)).toEqual(
        Array.from(original.embedding.lexical!.indices),
      );
      expectClose(
        record.embedding!.lexical!.values,
        original.embedding.lexical!.values,
        vectorTolerance() * 10,
        `${record.id} lexical`,
      );
      expect(record.embedding!.colbert!.rows).toBe(original.embedding.colbert!.rows);
      expectClose(
        record.embedding!.colbert!.data,
        original.embedding.colbert!.data,
        vectorTolerance() * 10,
        `${record.id} colbert`,
      );
    });
  });

  it('leaves embeddings out unless asked, and skips missing ids', async () => {
    const [first] = context.corpus.records;
    const got = await context.store.get([first!.id, 'no-such-id']);
    expect(got).toHaveLength(1);
    expect(got[0]!.embedding).toBeUndefined();
  });

  it('is idempotent: writing the same records again keeps one copy of each', async () => {
    const again = context.corpus.records.slice(0, 6);
    const report = await context.store.upsert(again);
    expect([...report.written].sort()).toEqual(again.map((r) => r.id).sort());
    expect(report.failed).toEqual([]);
    expect(await context.store.count()).toBe(context.corpus.records.length);
  });

  it('overwrites text, metadata and every vector of an existing id', async () => {
    const [a, b] = context.corpus.records;
    const id = 'scratch-overwrite';
    await context.store.upsert([copyAs(a!, id, { lang: 'xx', batch: 'scratch' })]);
    await context.store.upsert([
      { ...copyAs(b!, id, { lang: 'yy', batch: 'scratch' }), text: 'replaced' },
    ]);
    const [got] = await context.store.get([id], { includeEmbedding: true });
    expect(got!.text).toBe('replaced');
    expect(got!.metadata).toEqual({ lang: 'yy', batch: 'scratch' });
    expectClose(
      got!.embedding!.dense!,
      b!.embedding.dense!,
      vectorTolerance(),
      'overwritten dense',
    );
    expect(got!.embedding!.colbert!.rows).toBe(b!.embedding.colbert!.rows);
    // The old ColBERT rows must be gone, not merged with the new ones.
    const byOld = await context.store.query({
      embedding: a!.embedding,
      signals: ['colbert'],
      topK: 5,
    });
    const self = byOld.hits.find((h) => h.id === a!.id);
    const stale = byOld.hits.find((h) => h.id === id);
    expect(self, 'the original record is found by its own ColBERT vectors').toBeDefined();
    if (stale)
      expect(stale.score, 'overwritten record still scores like its old vectors').toBeLessThan(
        self!.score - 1e-3,
      );
    const byNew = await context.store.query({
      embedding: b!.embedding,
      signals: ['colbert'],
      topK: 3,
    });
    expect(
      byNew.hits.map((h) => h.id),
      'overwritten record found by its new ColBERT vectors',
    ).toContain(id);
    await context.store.delete([id]);
  });

  it('deletes documents from every signal, and deleting unknown ids is no error', async () => {
    const source = context.corpus.records[2]!;
    const ids = ['scratch-delete-1', 'scratch-delete-2'];
    await context.store.upsert(ids.map((id) => copyAs(source, id, { batch: 'scratch' })));
    expect(await context.store.count(filters.eq('batch', 'scratch'))).toBe(2);
    const report = await context.store.delete([...ids, 'never-existed']);
    expect(report.failed).toEqual([]);
    expect(await context.store.count(filters.eq('batch', 'scratch'))).toBe(0);
    expect(await context.store.get(ids)).toEqual([]);
    for (const signal of ['dense', 'sparse', 'colbert'] as const) {
      const result = await context.store.query({
        embedding: source.embedding,
        signals: [signal],
        topK: 5,
      });
      expect(
        result.hits.map((h) => h.id),
        `${signal} after delete`,
      ).not.toContain(ids[0]);
    }
  });

  it('keeps ids with quotes, slashes, emoji and non-Latin scripts intact', async () => {
    const ids = [`it's "quoted" \\ / ?#&`, 'ünïcødé-ид-東京-🙂', 'a'.repeat(200)];
    const source = context.corpus.records[3]!;
    await context.store.upsert(ids.map((id) => copyAs(source, id, { batch: 'scratch-ids' })));
    const got = await context.store.get(ids);
    expect(got.map((r) => r.id)).toEqual(ids);
    await context.store.delete(ids);
    expect(await context.store.get(ids)).toEqual([]);
  });

  it('survives concurrent writers of overlapping ids without losing or duplicating any', async () => {
    const base = context.corpus.records;
    const records: M3Record[] = Array.from({ length: 24 }, (_, i) =>
      copyAs(base[i % base.length]!, `concurrent-${i}`, { batch: 'concurrent', year: 2000 + i }),
    );
    // Four writers with overlapping slices, all at once.
    const slices = [0, 6, 12, 18].map((start) => [
      ...records.slice(start, start + 10),
      ...records.slice(0, 2),
    ]);
    await mapWithConcurrency(slices, 4, (slice) => context.store.upsert(slice));
    expect(await context.store.count(filters.eq('batch', 'concurrent'))).toBe(records.length);
    const got = await context.store.get(records.map((r) => r.id));
    expect(got.map((r) => r.metadata?.['year'])).toEqual(records.map((r) => r.metadata?.['year']));
    await context.store.delete(records.map((r) => r.id));
    expect(await context.store.count(filters.eq('batch', 'concurrent'))).toBe(0);
  });
}
