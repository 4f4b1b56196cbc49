import { describe, expect, it } from 'vitest';
import type { M3Document } from '../document.js';
import { BackendError } from '../errors/backend-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { filters } from '../filter/filter.js';
import { ExactStore } from '../store/exact-store.js';
import type { M3StoreV1 } from '../store/store-v1.js';
import { HashingEncoder } from '../testing/hashing-encoder.js';
import { memoryCheckpoint } from './checkpoint.js';
import { ingest } from './ingest.js';
import { IngestError } from './ingest-error.js';

const dimension = 32;

async function freshStore(): Promise<ExactStore> {
  const store = new ExactStore({ collection: { name: 'ingest', denseDimension: dimension } });
  await store.ensureCollection();
  return store;
}

function words(n: number, prefix = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');
}

function documents(count: number): M3Document[] {
  return Array.from({ length: count }, (_, i) => ({ id: `d${i}`, text: `document ${i} ${words(5, `t${i}_`)}`, metadata: { n: i } }));
}

/** Wraps a real store and fails its upserts from the given call on, as a server going down would. */
function failingFrom(store: M3StoreV1, failAt: number): M3StoreV1 {
  let calls = 0;
  return Object.assign(Object.create(store) as M3StoreV1, {
    upsert: (...args: Parameters<M3StoreV1['upsert']>) => {
      if (++calls >= failAt) {
        return Promise.reject(new BackendError({ backend: 'exact', message: 'connection refused', isRetryable: true }));
      }
      return store.upsert(...args);
    },
  });
}

describe('ingest', () => {
  it('writes one chunk per short document with docId#0 ids and source metadata', async () => {
    const store = await freshStore();
    const report = await ingest(documents(5), { encoder: new HashingEncoder({ dimension }), store });
    expect(report).toMatchObject({ documents: 5, chunks: 5, skipped: [], resumedFrom: 0 });
    const [chunk] = await store.get(['d3#0']);
    expect(chunk!.metadata).toMatchObject({ n: 3, source_id: 'd3', chunk: 0 });
    expect(chunk!.text).toBe(documents(5)[3]!.text);
  });

  it('splits long documents by tokens with overlap, each chunk a slice of the text', async () => {
    const store = await freshStore();
    const text = words(100);
    await ingest([{ id: 'long', text }], { encoder: new HashingEncoder({ dimension }), store, chunking: { maxTokens: 22, overlap: 5 } });
    // 20 content tokens a chunk, a step of 15: starts 0, 15, 30, ..., 90 -> 7 chunks.
    expect(await store.count()).toBe(7);
    const chunks = await store.get(Array.from({ length: 7 }, (_, i) => `long#${i}`));
    for (const chunk of chunks) {
      expect(text.includes(chunk.text!)).toBe(true);
      expect(chunk.text!.split(' ').length).toBeLessThanOrEqual(20);
    }
    expect(chunks[1]!.text!.startsWith('w15 ')).toBe(true);
    expect(chunks[0]!.text!.endsWith(' w19')).toBe(true);
  });

  it('is idempotent, and a shorter new version leaves no stale chunks behind', async () => {
    const store = await freshStore();
    const encoder = new HashingEncoder({ dimension });
    const chunking = { maxTokens: 12, overlap: 0 };
    await ingest([{ id: 'a', text: words(50) }], { encoder, store, chunking });
    expect(await store.count()).toBe(5);
    await ingest([{ id: 'a', text: words(50) }], { encoder, store, chunking });
    expect(await store.count()).toBe(5);
    await ingest([{ id: 'a', text: words(15) }], { encoder, store, chunking });
    expect(await store.count(filters.eq('source_id', 'a'))).toBe(2);
    expect((await store.get(['a#2', 'a#3', 'a#4'])).length).toBe(0);
  });

  it('skips and reports bad documents by default, and stops at them when asked', async () => {
    const input = [
      { id: 'ok', text: 'fine text' },
      { id: 'empty', text: '   ' },
      { id: 'broken', text: 'lone \ud800 surrogate' },
      { id: 'no-text' } as M3Document,
      { id: 'x#1', text: 'reserved separator' },
    ];
    const store = await freshStore();
    const report = await ingest(input, { encoder: new HashingEncoder({ dimension }), store });
    expect(report.skipped.map((s) => [s.id, s.position])).toEqual([['empty', 1], ['broken', 2], ['no-text', 3], ['x#1', 4]]);
    expect(report.skipped[0]!.reason).toMatch(/empty/);
    expect(await store.count()).toBe(1);
    const error = await ingest(input, { encoder: new HashingEncoder({ dimension }), store: await freshStore(), onDocumentError: 'stop' }).catch((e: unknown) => e);
    expect(IngestError.isInstance(error)).toBe(true);
    expect(InvalidInputError.isInstance((error as IngestError).cause)).toBe(true);
    expect(String(error)).toMatch(/empty.*item: empty/);
  });

  it('stops with a resumable checkpoint when the backend goes down, and the rerun loses and duplicates nothing', async () => {
    const store = await freshStore();
    const checkpoint = memoryCheckpoint();
    const input = documents(40);
    const error = await ingest(input, {
      encoder: new HashingEncoder({ dimension }),
      store: failingFrom(store, 3),
      checkpoint,
      batchDocuments: 8,
      pendingWrites: 0,
    }).catch((e: unknown) => e);
    expect(IngestError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/connection refused.*16 documents are committed/);
    expect(checkpoint.state?.committedDocuments).toBe(16);
    const encoder = new HashingEncoder({ dimension });
    const report = await ingest(input, { encoder, store, checkpoint, batchDocuments: 8 });
    expect(report.resumedFrom).toBe(16);
    expect(encoder.encodedTexts).toHaveLength(24);
    expect(await store.count()).toBe(40);
    expect(checkpoint.state).toBeUndefined();
  });

  it('stops promptly on abort, keeping what was committed', async () => {
    const store = await freshStore();
    const controller = new AbortController();
    const checkpoint = memoryCheckpoint();
    const input = (async function* () {
      for (const [i, document] of documents(30).entries()) {
        if (i === 12) controller.abort();
        yield document;
      }
    })();
    const error = await ingest(input, { encoder: new HashingEncoder({ dimension }), store, checkpoint, batchDocuments: 4, signal: controller.signal }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/interrupted/);
    expect(checkpoint.state!.committedDocuments).toBeGreaterThan(0);
    expect(await store.count()).toBeGreaterThanOrEqual(checkpoint.state!.committedDocuments);
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
});

describe('ingest failure paths', () => {
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
      const error = await ingest(documents(20), { encoder: slowEncoder, store: failingFrom(store, 2), batchDocuments: 4 }).catch((e: unknown) => e);
      expect(IngestError.isInstance(error)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('saves file checkpoints one at a time, so concurrent saves never collide', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fileCheckpoint } = await import('./checkpoint.js');
    const directory = mkdtempSync(join(tmpdir(), 'm3kit-checkpoint-'));
    try {
      const checkpoint = fileCheckpoint(join(directory, 'c.json'));
      const states = [1, 2, 3].map((n) => ({ key: 'k', committedDocuments: n, committedChunks: n, updatedAt: '' }));
      const results = await Promise.allSettled(states.map((s) => checkpoint.save(s)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(JSON.parse(readFileSync(join(directory, 'c.json'), 'utf8')).committedDocuments).toBe(3);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
