import { describe, expect, it } from 'vitest';
import type { M3Document } from '../document.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { filters } from '../filter/filter.js';
import { ExactStore } from '../store/exact-store.js';
import type { M3StoreV1 } from '../store/store-v1.js';
import { HashingEncoder } from '../testing/hashing-encoder.js';
import { SeededRandom } from '../testing/random.js';
import { ingest, type IngestOptions } from './ingest.js';
import { IngestError } from './ingest-error.js';
import { SYNC_FIELDS, withSyncFields } from './sync-fields.js';

const dimension = 16;

async function freshStore(signals?: ExactStore['collection']['signals']): Promise<ExactStore> {
  const store = new ExactStore({
    collection: withSyncFields({
      name: 'ingest',
      denseDimension: dimension,
      ...(signals ? { signals } : {}),
    }),
  });
  await store.ensureCollection();
  return store;
}

function words(n: number, prefix = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');
}

function documents(count: number, version = 'a', length = 5): M3Document[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `d${i}`,
    text: `${version} document ${i} ${words(length, `t${i}_`)}`,
    metadata: { n: i },
  }));
}

/** Every stored chunk as `id fingerprint`, sorted: two stores with the same lines hold the same versions. */
async function snapshot(store: M3StoreV1): Promise<string[]> {
  const lines: string[] = [];
  for await (const page of store.scan())
    for (const r of page) lines.push(`${r.id} ${String(r.metadata?.[SYNC_FIELDS.fingerprint])}`);
  return lines.sort();
}

/** The stored state as one text per document: each must be exactly one complete version. */
async function storedVersions(store: M3StoreV1): Promise<Map<string, Set<string>>> {
  const byDocument = new Map<string, Set<string>>();
  for await (const page of store.scan()) {
    for (const r of page) {
      const id = String(r.metadata?.[SYNC_FIELDS.documentId]);
      if (!byDocument.has(id)) byDocument.set(id, new Set());
      byDocument.get(id)!.add(String(r.metadata?.[SYNC_FIELDS.fingerprint]));
    }
  }
  return byDocument;
}

async function cleanRun(
  input: readonly M3Document[],
  options: Partial<IngestOptions> = {},
): Promise<string[]> {
  const store = await freshStore();
  await ingest(input, { encoder: new HashingEncoder({ dimension }), store, ...options });
  return snapshot(store);
}

/** Wraps a real store and makes its writes fail from the given call on, as a server going down (or a kill) would. */
function failingFrom(
  store: M3StoreV1,
  failAt: number,
  methods: readonly ('upsert' | 'delete')[] = ['upsert'],
): M3StoreV1 {
  let calls = 0;
  const wrapped = Object.create(store) as M3StoreV1;
  for (const method of methods) {
    Object.assign(wrapped, {
      [method]: (...args: unknown[]) => {
        if (++calls >= failAt)
          return Promise.reject(
            new BackendError({
              backend: 'exact',
              message: 'connection refused',
              isRetryable: true,
            }),
          );
        return (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      },
    });
  }
  return wrapped;
}

/** Lets other work run between store calls, so concurrent runs interleave at every step. */
function yielding(store: M3StoreV1, random: SeededRandom): M3StoreV1 {
  const pause = (): Promise<void> =>
    new Promise((resolve) => setTimeout(resolve, random.int(0, 2)));
  const wrapped = Object.create(store) as M3StoreV1;
  Object.assign(wrapped, {
    upsert: async (...args: Parameters<M3StoreV1['upsert']>) => {
      await pause();
      // Written one record at a time: another writer can see a half-written version.
      const report = { written: [] as string[], failed: [] as never[] };
      for (const record of args[0]) {
        report.written.push(...(await store.upsert([record], args[1])).written);
        await pause();
      }
      return report;
    },
    delete: async (...args: Parameters<M3StoreV1['delete']>) => {
      await pause();
      return store.delete(...args);
    },
    scan: async function* (...args: Parameters<M3StoreV1['scan']>) {
      await pause();
      yield* store.scan(...args);
    },
  });
  return wrapped;
}

describe('ingest: chunks and coverage', () => {
  it('writes one chunk per short document with docId#fingerprint#0 ids and sync metadata', async () => {
    const store = await freshStore();
    const report = await ingest(documents(5), {
      encoder: new HashingEncoder({ dimension }),
      store,
    });
    expect(report).toMatchObject({
      documents: 5,
      written: 5,
      unchanged: 0,
      chunks: 5,
      skipped: [],
      duplicates: [],
    });
    const page = await firstPage(store.scan({ filter: filters.eq(SYNC_FIELDS.documentId, 'd3') }));
    expect(page).toHaveLength(1);
    const chunk = page![0]!;
    expect(chunk.id).toMatch(/^d3#[0-9a-f]{16}#0$/);
    expect(chunk.metadata).toMatchObject({
      n: 3,
      m3_document_id: 'd3',
      m3_chunk: 0,
      m3_chunk_count: 1,
      m3_chunk_start: 0,
    });
    expect(chunk.metadata![SYNC_FIELDS.fingerprint]).toBe(chunk.id.split('#')[1]);
    expect((await store.get([chunk.id]))[0]!.text).toBe(documents(5)[3]!.text);
  });

  it('splits long documents by tokens with overlap; the chunk spans cover the whole text', async () => {
    const store = await freshStore();
    const text = `  ${words(100)}  `;
    await ingest([{ id: 'long', text }], {
      encoder: new HashingEncoder({ dimension }),
      store,
      chunking: { maxTokens: 22, overlap: 5 },
    });
    // 20 content tokens a chunk, a step of 15: starts 0, 15, 30, ..., 90 -> 7 chunks.
    const chunks = (await store.get((await snapshot(store)).map((line) => line.split(' ')[0]!)))
      .map((c) => ({
        text: c.text!,
        start: Number(c.metadata!.m3_chunk_start),
        end: Number(c.metadata!.m3_chunk_end),
        index: Number(c.metadata!.m3_chunk),
      }))
      .sort((a, b) => a.index - b.index);
    expect(chunks).toHaveLength(7);
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
    for (let i = 1; i < chunks.length; i++)
      expect(chunks[i]!.start).toBeLessThanOrEqual(chunks[i - 1]!.end);
    for (const chunk of chunks) {
      expect(text.slice(chunk.start, chunk.end).startsWith(chunk.text)).toBe(true);
      expect(chunk.text.trim().split(' ').length).toBeLessThanOrEqual(20);
    }
    expect(chunks[1]!.text.trim().startsWith('w15 ')).toBe(true);
  });

  it('covers a 20 MB one-line document whole, though the tokenizer cuts at 8192 tokens a call', async () => {
    const store = await freshStore(['dense']);
    const encoder = new HashingEncoder({ dimension, maxLength: 8192 });
    const text = words(3_000_000, 'x'); // about 22 MB of UTF-16 text, 3 million tokens
    expect(text.length).toBeGreaterThan(20_000_000);
    const report = await ingest([{ id: 'huge', text }], {
      encoder,
      store,
      chunking: { maxTokens: 8192, overlap: 0 },
    });
    const perChunk = 8190;
    expect(report.chunks).toBe(Math.ceil(3_000_000 / perChunk));
    expect(report.tokens).toBe(3_000_000);
    expect(report.truncatedChunks).toBe(0);
    const spans: Array<[number, number]> = [];
    for await (const page of store.scan())
      for (const r of page)
        spans.push([Number(r.metadata!.m3_chunk_start), Number(r.metadata!.m3_chunk_end)]);
    spans.sort((a, b) => a[0] - b[0]);
    let covered = 0;
    for (const [start, end] of spans) {
      expect(start).toBeLessThanOrEqual(covered);
      covered = Math.max(covered, end);
    }
    expect(covered).toBe(text.length);
  }, 120_000);

  it('chunks a text tokenised in small windows exactly as one tokenised whole', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `w${i}${i % 7 === 0 ? '\n\n' : ' '}`).join(
      '',
    );
    const chunking = { maxTokens: 50, overlap: 8 };
    const whole = await cleanRun([{ id: 'a', text }], {
      chunking,
      encoder: new HashingEncoder({ dimension, maxLength: 1_000_000 }),
    });
    const windowed = await cleanRun([{ id: 'a', text }], {
      chunking,
      encoder: new HashingEncoder({ dimension, maxLength: 60 }),
    });
    expect(windowed).toEqual(whole);
  });
});

describe('ingest: content-addressed sync', () => {
  it('encodes nothing when rerun on an unchanged corpus, and only the changed documents after an edit', async () => {
    const store = await freshStore();
    const input = documents(50, 'a', 30);
    const chunking = { maxTokens: 12, overlap: 2 };
    const first = new HashingEncoder({ dimension });
    const firstReport = await ingest(input, { encoder: first, store, chunking, batchDocuments: 8 });
    const before = await snapshot(store);
    const rerun = new HashingEncoder({ dimension });
    const report = await ingest(input, { encoder: rerun, store, chunking, batchDocuments: 8 });
    expect(rerun.encodedTexts).toEqual([]);
    expect(report).toMatchObject({
      documents: 50,
      unchanged: 50,
      written: 0,
      chunks: 0,
      deletedChunks: 0,
    });
    expect(await snapshot(store)).toEqual(before);

    const edited = input.map((d, i) =>
      i === 7 ? { ...d, text: `${d.text} edited` } : i === 9 ? { ...d, metadata: { n: 99 } } : d,
    );
    const third = new HashingEncoder({ dimension });
    const editReport = await ingest(edited, { encoder: third, store, chunking, batchDocuments: 8 });
    expect(editReport).toMatchObject({ documents: 50, unchanged: 48, written: 2 });
    const perDocument = firstReport.chunks / 50;
    expect(third.encodedTexts.length).toBeGreaterThanOrEqual(2 * perDocument - 2);
    expect(third.encodedTexts.length).toBeLessThanOrEqual(2 * perDocument + 2);
    expect(await snapshot(store)).toEqual(await cleanRun(edited, { chunking, batchDocuments: 8 }));
  });

  it('re-encodes everything when the chunking or the model changes (the fingerprint covers them)', async () => {
    const store = await freshStore();
    const input = documents(6, 'a', 30);
    await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store,
      chunking: { maxTokens: 12, overlap: 2 },
    });
    const report = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store,
      chunking: { maxTokens: 20, overlap: 2 },
    });
    expect(report.written).toBe(6);
    expect(await snapshot(store)).toEqual(
      await cleanRun(input, { chunking: { maxTokens: 20, overlap: 2 } }),
    );
    const other = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store,
      chunking: { maxTokens: 20, overlap: 2 },
      modelIdentity: 'other-model',
    });
    expect(other.written).toBe(6);
    expect((await storedVersions(store)).get('d0')!.size).toBe(1);
  });

  it('after a run that stopped midway, a rerun applies edits, inserts and deletions made meanwhile', async () => {
    const store = await freshStore();
    const input = documents(40, 'a', 12);
    const chunking = { maxTokens: 8, overlap: 1 };
    const error = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store: failingFrom(store, 4),
      chunking,
      batchDocuments: 8,
      pendingWrites: 0,
    }).catch((e: unknown) => e);
    expect(IngestError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/connection refused.*run again/);
    expect((await storedVersions(store)).size).toBeGreaterThan(0);
    // Meanwhile: d3 (written) and d35 (not yet) edited, d1 and d30 deleted, two new ones inserted before the stop point.
    const next = input
      .filter((d) => d.id !== 'd1' && d.id !== 'd30')
      .map((d) => (d.id === 'd3' || d.id === 'd35' ? { ...d, text: `${d.text} changed` } : d));
    next.splice(
      2,
      0,
      { id: 'new1', text: 'a new document' },
      { id: 'new2', text: 'another new one' },
    );
    const encoder = new HashingEncoder({ dimension });
    const report = await ingest(next, {
      encoder,
      store,
      chunking,
      batchDocuments: 8,
      cleanup: 'full',
    });
    expect(report.skipped).toEqual([]);
    // d1 was written before the stop, d30 was not: only d1 has chunks to prune.
    expect(report.pruned).toMatchObject({ documents: 1, dryRun: false });
    expect(await snapshot(store)).toEqual(await cleanRun(next, { chunking, batchDocuments: 8 }));
  });

  it('after being cut off at any store call (as by kill -9), a rerun ends equal to a clean run', async () => {
    const random = new SeededRandom(16);
    const versions = [documents(24, 'a', 14), documents(24, 'b', 9)];
    const chunking = { maxTokens: 8, overlap: 2 };
    for (let trial = 0; trial < 12; trial++) {
      const store = await freshStore();
      // Some trials start from an older version of the corpus, so a new version is half written when it stops.
      if (trial % 2 === 1)
        await ingest(versions[0]!, {
          encoder: new HashingEncoder({ dimension }),
          store,
          chunking,
          batchDocuments: 5,
        });
      const input = versions[trial % 2]! === versions[0] ? versions[1]! : versions[1]!;
      const cut = random.int(1, 12);
      await ingest(input, {
        encoder: new HashingEncoder({ dimension }),
        store: failingFrom(store, cut, ['upsert', 'delete']),
        chunking,
        batchDocuments: 5,
      }).catch(() => undefined);
      await ingest(input, {
        encoder: new HashingEncoder({ dimension }),
        store,
        chunking,
        batchDocuments: 5,
      });
      expect(await snapshot(store), `trial ${trial}, cut at call ${cut}`).toEqual(
        await cleanRun(input, { chunking, batchDocuments: 5 }),
      );
    }
  });

  it('keeps the last occurrence of a duplicate id alone, and reports both positions', async () => {
    const chunking = { maxTokens: 6, overlap: 0 };
    const input: M3Document[] = [
      { id: 'x', text: words(30, 'long') },
      { id: 'y', text: 'y text' },
      { id: 'x', text: 'short second version' },
      ...documents(10),
      { id: 'y', text: 'y text, last' },
    ];
    const store = await freshStore();
    const report = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store,
      chunking,
      batchDocuments: 4,
    });
    expect(report.duplicates).toEqual([
      { id: 'x', firstPosition: 0, position: 2 },
      { id: 'y', firstPosition: 1, position: 13 },
    ]);
    expect(report.documents).toBe(12);
    const expected = [
      { id: 'x', text: 'short second version' },
      ...documents(10),
      { id: 'y', text: 'y text, last' },
    ];
    expect(await snapshot(store)).toEqual(
      await cleanRun(expected, { chunking, batchDocuments: 4 }),
    );
  });

  it('prunes documents of the same source absent from the input, and a dry run only says what would go', async () => {
    const store = await freshStore();
    const encoder = new HashingEncoder({ dimension });
    await ingest(documents(10), { encoder, store, source: 'feed-a' });
    await ingest([{ id: 'other', text: 'from another source' }], {
      encoder,
      store,
      source: 'feed-b',
    });
    const smaller = documents(10).filter((d) => d.id !== 'd2' && d.id !== 'd5');
    const before = await snapshot(store);
    const dry = await ingest(smaller, {
      encoder: new HashingEncoder({ dimension }),
      store,
      source: 'feed-a',
      cleanup: 'full',
      dryRun: true,
    });
    expect(dry.pruned).toEqual({
      documents: 2,
      chunks: 2,
      sample: expect.arrayContaining(['d2', 'd5']),
      dryRun: true,
    });
    expect(dry.dryRun).toBe(true);
    expect(await snapshot(store)).toEqual(before);
    const real = await ingest(smaller, {
      encoder: new HashingEncoder({ dimension }),
      store,
      source: 'feed-a',
      cleanup: 'full',
    });
    expect(real.pruned).toMatchObject({ documents: 2, chunks: 2 });
    const left = await storedVersions(store);
    expect([...left.keys()].sort()).toEqual([
      'd0',
      'd1',
      'd3',
      'd4',
      'd6',
      'd7',
      'd8',
      'd9',
      'other',
    ]);
  });

  it('a dry run writes nothing and counts what would be written', async () => {
    const store = await freshStore();
    await ingest(documents(4), { encoder: new HashingEncoder({ dimension }), store });
    const encoder = new HashingEncoder({ dimension });
    const report = await ingest(documents(6, 'b'), { encoder, store, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, written: 6, unchanged: 0, chunks: 0 });
    expect(encoder.encodedTexts).toEqual([]);
    expect(await snapshot(store)).toEqual(await cleanRun(documents(4)));
  });

  it('splits the input into disjoint shards by document id; concurrent shards fill the collection once', async () => {
    const input = documents(60);
    const store = await freshStore();
    const reports = await Promise.all(
      [0, 1, 2].map((index) =>
        ingest(input, {
          encoder: new HashingEncoder({ dimension }),
          store: yielding(store, new SeededRandom(index)),
          shard: { index, count: 3 },
          batchDocuments: 4,
        }),
      ),
    );
    expect(reports.map((r) => r.documents + r.otherShards)).toEqual([60, 60, 60]);
    expect(reports.reduce((n, r) => n + r.documents, 0)).toBe(60);
    for (const report of reports) expect(report.documents).toBeGreaterThan(5);
    expect(await snapshot(store)).toEqual(await cleanRun(input));
    const pruneShard = await ingest(input.slice(0, 30), {
      encoder: new HashingEncoder({ dimension }),
      store,
      shard: { index: 1, count: 3 },
      cleanup: 'full',
    });
    expect(pruneShard.pruned!.documents).toBe(reports[1]!.documents - pruneShard.documents);
    await expect(
      ingest(input, {
        encoder: new HashingEncoder({ dimension }),
        store,
        shard: { index: 3, count: 3 },
      }),
    ).rejects.toThrow(/shard index/);
  });

  it('two overlapping runs of different versions at once leave exactly one complete version of every document', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const store = await freshStore();
      const chunking = { maxTokens: 6, overlap: 1 };
      const a = documents(20, 'a', 12 + trial);
      const b = documents(20, 'b', 4 + trial * 3);
      const reports = await Promise.all([
        ingest(a, {
          encoder: new HashingEncoder({ dimension }),
          store: yielding(store, new SeededRandom(trial)),
          chunking,
          batchDocuments: 3,
        }),
        ingest(b, {
          encoder: new HashingEncoder({ dimension }),
          store: yielding(store, new SeededRandom(100 + trial)),
          chunking,
          batchDocuments: 5,
        }),
      ]);
      for (const report of reports) expect(report.skipped).toEqual([]);
      const expectA = new Map((await storedVersions(await cleanStoreOf(a, chunking))).entries());
      const expectB = new Map((await storedVersions(await cleanStoreOf(b, chunking))).entries());
      const stored = await storedVersions(store);
      expect(stored.size).toBe(20);
      const all = await snapshot(store);
      for (const [id, fingerprints] of stored) {
        expect(fingerprints.size, `document ${id}`).toBe(1);
        const [fingerprint] = fingerprints;
        const fromA = [...expectA.get(id)!][0] === fingerprint;
        const fromB = [...expectB.get(id)!][0] === fingerprint;
        expect(fromA || fromB).toBe(true);
        const clean = await cleanStoreOf(
          fromA ? a.filter((d) => d.id === id) : b.filter((d) => d.id === id),
          chunking,
        );
        expect(all.filter((line) => line.startsWith(`${id}#`))).toEqual(await snapshot(clean));
      }
    }
  });

  it('reports documents whose chunks the store rejects, keeps their previous version, and counts them out', async () => {
    const store = await freshStore();
    const encoder = new HashingEncoder({ dimension });
    await ingest(documents(3), { encoder, store, chunking: { maxTokens: 6, overlap: 0 } });
    const rejecting = Object.assign(Object.create(store) as M3StoreV1, {
      upsert: async (...args: Parameters<M3StoreV1['upsert']>) => {
        const records = args[0];
        const bad = records.filter((r) => r.id.startsWith('d1#') && r.id.endsWith('#2'));
        const report = await store.upsert(
          records.filter((r) => !bad.includes(r)),
          args[1],
        );
        return {
          written: report.written,
          failed: bad.map((r) => ({
            id: r.id,
            error: new InvalidInputError('value too large for the backend', { item: r.id }),
          })),
        };
      },
    });
    const next = documents(3, 'b', 12);
    const report = await ingest(next, {
      encoder,
      store: rejecting,
      chunking: { maxTokens: 6, overlap: 0 },
    });
    expect(report.skipped).toEqual([
      { id: 'd1', position: 1, reason: expect.stringMatching(/rejected it: value too large/) },
    ]);
    expect(report.documents).toBe(2);
    const versions = await storedVersions(store);
    expect(versions.get('d1')!.size).toBe(1);
    const expectedOld = await snapshot(
      await cleanStoreOf(
        documents(3).filter((d) => d.id === 'd1'),
        { maxTokens: 6, overlap: 0 },
      ),
    );
    expect((await snapshot(store)).filter((l) => l.startsWith('d1#'))).toEqual(expectedOld);
  });

  it('skips bad documents with a reason (also what every backend would reject), or stops at them when asked', async () => {
    const input = [
      { id: 'ok', text: 'fine text' },
      { id: 'empty', text: '   ' },
      { id: 'broken', text: 'lone \ud800 surrogate' },
      { id: 'no-text' } as M3Document,
      { id: 'x#1', text: 'reserved separator' },
      { id: 'i'.repeat(600), text: 'long id' },
      { id: 'reserved', text: 'meta', metadata: { m3_source: 'mine' } },
      {
        id: 'wide',
        text: 'meta',
        metadata: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, i])),
      },
      { id: 'drift', text: 'meta', metadata: { lang: 7 } },
    ];
    const store = new ExactStore({
      collection: withSyncFields({
        name: 'ingest',
        denseDimension: dimension,
        metadataFields: [{ name: 'lang', type: 'keyword' }],
      }),
    });
    await store.ensureCollection();
    const report = await ingest(input, { encoder: new HashingEncoder({ dimension }), store });
    expect(report.skipped.map((s) => s.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(report.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/empty/),
      expect.stringMatching(/lone surrogate/),
      expect.stringMatching(/no text/),
      expect.stringMatching(/"#"/),
      expect.stringMatching(/longer than 484 bytes/),
      expect.stringMatching(/reserved/),
      expect.stringMatching(/300 fields/),
      expect.stringMatching(/"lang" is declared keyword, got number 7/),
    ]);
    expect(report.documents).toBe(1);
    const error = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store: await freshStore(),
      onDocumentError: 'stop',
    }).catch((e: unknown) => e);
    expect(IngestError.isInstance(error)).toBe(true);
    expect(InvalidInputError.isInstance((error as IngestError).cause)).toBe(true);
  });

  it('refuses a server collection that does not index the sync fields, naming the fix; the exact store needs none', async () => {
    const plain = new ExactStore({ collection: { name: 'plain', denseDimension: dimension } });
    await plain.ensureCollection();
    const server = Object.assign(Object.create(plain) as M3StoreV1, {
      capabilities: { ...plain.capabilities, backend: 'some-server' },
    });
    await expect(
      ingest(documents(1), { encoder: new HashingEncoder({ dimension }), store: server }),
    ).rejects.toThrow(/withSyncFields/);
    expect(
      (await ingest(documents(3), { encoder: new HashingEncoder({ dimension }), store: plain }))
        .documents,
    ).toBe(3);
  });
});

async function firstPage<T>(pages: AsyncIterable<T>): Promise<T | undefined> {
  for await (const page of pages) return page;
  return undefined;
}

async function cleanStoreOf(
  input: readonly M3Document[],
  chunking: IngestOptions['chunking'],
): Promise<ExactStore> {
  const store = await freshStore();
  await ingest(input, {
    encoder: new HashingEncoder({ dimension }),
    store,
    ...(chunking ? { chunking } : {}),
  });
  return store;
}

describe('ingest: pipeline, progress and failures', () => {
  it('stops promptly on abort; a rerun completes it', async () => {
    const store = await freshStore();
    const controller = new AbortController();
    const input = (async function* () {
      for (const [i, document] of documents(30).entries()) {
        if (i === 12) controller.abort();
        yield document;
      }
    })();
    const error = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store,
      batchDocuments: 4,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/interrupted/);
    expect((error as IngestError).committedDocuments).toBeGreaterThan(0);
    const report = await ingest(documents(30), {
      encoder: new HashingEncoder({ dimension }),
      store,
      batchDocuments: 4,
    });
    expect(report.unchanged).toBeGreaterThanOrEqual((error as IngestError).committedDocuments);
    expect(await snapshot(store)).toEqual(await cleanRun(documents(30)));
  });

  it('encodes the next batch while the previous one is still being written', async () => {
    const store = await freshStore();
    const events: string[] = [];
    const slow = Object.assign(Object.create(store) as M3StoreV1, {
      upsert: async (...args: Parameters<M3StoreV1['upsert']>) => {
        events.push('write-start');
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push('write-end');
        return store.upsert(...args);
      },
    });
    const encoder = new HashingEncoder({ dimension });
    const encode = encoder.encode.bind(encoder);
    encoder.encode = async (...args) => {
      events.push('encode');
      return encode(...args);
    };
    await ingest(documents(12), { encoder, store: slow, batchDocuments: 4 });
    expect(events.slice(0, 3)).toEqual(['encode', 'write-start', 'encode']);
    expect(await store.count()).toBe(12);
  });

  it('reports progress with documents, chunks, tokens and an ETA when the total is known', async () => {
    const seen: number[] = [];
    let eta: number | undefined;
    await ingest(documents(9), {
      encoder: new HashingEncoder({ dimension }),
      store: await freshStore(),
      batchDocuments: 3,
      totalDocuments: 9,
      onProgress: (p) => {
        if (p.phase === 'encoded') {
          seen.push(p.documents);
          eta = p.etaSeconds;
          expect(p.tokens).toBeGreaterThan(0);
        }
      },
    });
    expect(seen).toEqual([3, 6, 9]);
    expect(eta).toBe(0);
  });

  it('turns a write failing while the next batch encodes into an IngestError, not an unhandled rejection', async () => {
    const store = await freshStore();
    const slowEncoder = new HashingEncoder({ dimension });
    const encode = slowEncoder.encode.bind(slowEncoder);
    slowEncoder.encode = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return encode(...args);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const error = await ingest(documents(20), {
        encoder: slowEncoder,
        store: failingFrom(store, 2),
        batchDocuments: 4,
      }).catch((e: unknown) => e);
      expect(IngestError.isInstance(error)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
