import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectionMismatchError } from '../errors/collection-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { syntheticCorpus } from '../testing/synthetic-corpus.js';
import { colbertScore } from '../scoring/colbert.js';
import { ExactStore } from './exact-store.js';
import { quantizeMultiVectorInt8 } from '../embedding/compact-multivector.js';
import type { OpenPositionalFile, PositionalFile } from './exact-store-colbert-file.js';
import { crc32Hex } from './exact-store-log.js';
import { encodeRecord } from './record-codec.js';

const directory = mkdtempSync(join(tmpdir(), 'm3kit-exact-unit-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const corpus = syntheticCorpus({
  documents: 12,
  dimension: 16,
  vocabulary: 1000,
  colbertRows: [2, 6],
  lexicalEntries: [3, 9],
});
const spec = { name: 'unit', denseDimension: 16 };

/** The ColBERT side file a format-4 store file's header names. */
function sideFileOf(path: string): string {
  const header = JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!) as { colbertFile: string };
  return join(directory, header.colbertFile);
}

describe('ExactStore persistence', () => {
  it('reopens what an earlier instance wrote, deletes included', async () => {
    const path = join(directory, 'reopen.m3store');
    const first = new ExactStore({ collection: spec, path });
    expect(await first.ensureCollection()).toEqual({ created: true });
    await first.upsert(corpus.records);
    await first.delete(['doc-0']);
    await first.close();
    const second = new ExactStore({ collection: spec, path });
    expect(await second.ensureCollection()).toEqual({ created: false });
    expect(await second.count()).toBe(corpus.records.length - 1);
    const [got] = await second.get(['doc-1'], { includeEmbedding: true });
    expect(Array.from(got!.embedding!.dense!)).toEqual(
      Array.from(corpus.records[1]!.embedding.dense!),
    );
    expect(got!.metadata).toEqual(corpus.records[1]!.metadata);
  });

  it('ignores a torn last line, as left by a crash mid-append', async () => {
    const path = join(directory, 'torn.m3store');
    const store = new ExactStore({ collection: spec, path });
    await store.ensureCollection();
    await store.upsert(corpus.records.slice(0, 3));
    appendFileSync(path, '{"op":"upsert","records":[{"id":"half');
    const reopened = new ExactStore({ collection: spec, path });
    await reopened.ensureCollection();
    expect(await reopened.count()).toBe(3);
  });

  it('skips a corrupt line in the middle, reading what follows it', async () => {
    const path = join(directory, 'corrupt.m3store');
    const store = new ExactStore({ collection: spec, path });
    await store.ensureCollection();
    await store.upsert(corpus.records.slice(0, 1));
    const offset = readFileSync(path).length;
    appendFileSync(path, 'garbage\n');
    await store.upsert(corpus.records.slice(1, 2));
    const reopened = new ExactStore({ collection: spec, path });
    await reopened.ensureCollection();
    expect(await reopened.count()).toBe(2);
    expect(reopened.damage).toEqual([{ path, offset, reason: 'damaged record: no checksum' }]);
  });

  it('compacts a file dominated by overwritten records', async () => {
    const path = join(directory, 'compact.m3store');
    const store = new ExactStore({ collection: spec, path });
    await store.ensureCollection();
    for (let i = 0; i < 120; i++) await store.upsert(corpus.records.slice(0, 1));
    const before = readFileSync(path, 'utf8').split('\n').length;
    await new ExactStore({ collection: spec, path }).ensureCollection();
    const after = readFileSync(path, 'utf8').split('\n').length;
    expect(before).toBeGreaterThan(100);
    expect(after).toBeLessThan(5);
  });

  it('names what differs when the file holds another collection shape', async () => {
    const path = join(directory, 'mismatch.m3store');
    await new ExactStore({ collection: spec, path }).ensureCollection();
    const error = await new ExactStore({ collection: { ...spec, denseDimension: 8 }, path })
      .ensureCollection()
      .catch((e: unknown) => e);
    expect(CollectionMismatchError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/dense dimension: existing 16, requested 8/);
  });

  it('refuses a file that is not a store file', async () => {
    const path = join(directory, 'other.m3store');
    writeFileSync(path, 'hello\n');
    await expect(new ExactStore({ collection: spec, path }).ensureCollection()).rejects.toThrow(
      InvalidInputError,
    );
  });
});

describe('ExactStore compact ColBERT rows', () => {
  const big = syntheticCorpus({ documents: 20, queries: 3, colbertRows: [20, 40], seed: 5 });
  const bigSpec = { name: 'compact', denseDimension: 1024 };

  it('a file-backed store keeps int8 rows (about a quarter of float32 in the file) and scores within 1e-3', async () => {
    const int8Path = join(directory, 'int8.m3store');
    const floatPath = join(directory, 'float32.m3store');
    const compact = new ExactStore({ collection: bigSpec, path: int8Path });
    const full = new ExactStore({
      collection: bigSpec,
      path: floatPath,
      colbertStorage: 'float32',
    });
    expect(compact.colbertStorage).toBe('int8');
    expect(compact.capabilities.scoreTolerance).toBe(1e-3);
    for (const store of [compact, full]) {
      await store.ensureCollection();
      await store.upsert(big.records);
      await store.close();
    }
    const colbertBytes = (path: string): number => {
      const text = readFileSync(path, 'utf8');
      return [...text.matchAll(/"(data|int8|scales)":"([^"]*)"/g)].reduce(
        (sum, m) => sum + m[2]!.length,
        0,
      );
    };
    // Format 4: the int8 rows live in the side file the header names, raw bytes (codes + scales).
    const side = sideFileOf(int8Path);
    expect(readFileSync(int8Path, 'utf8')).not.toContain('"int8":');
    expect(readFileSync(floatPath, 'utf8')).not.toContain('"colbertFile"');
    const rowCount = big.records.reduce((n, r) => n + r.embedding.colbert!.rows, 0);
    expect(statSync(side).size).toBe(rowCount * 1028);
    expect(statSync(side).size / colbertBytes(floatPath)).toBeLessThan(0.3);
    const reopened = new ExactStore({ collection: bigSpec, path: int8Path });
    await reopened.ensureCollection();
    const query = big.queries[0]!;
    const result = await reopened.query({ embedding: query, signals: ['colbert'], topK: 5 });
    expect(result.execution.description).toContain('ColBERT int8');
    for (const hit of result.hits) {
      const record = big.records.find((r) => r.id === hit.id)!;
      const exact = colbertScore(query.colbert!, record.embedding.colbert!);
      expect(Math.abs(hit.score - exact)).toBeLessThanOrEqual(1e-3 * Math.abs(exact));
    }
    const [got] = await reopened.get([big.records[0]!.id], { includeEmbedding: true });
    const original = big.records[0]!.embedding.colbert!;
    expect(got!.embedding!.colbert!.rows).toBe(original.rows);
    let worst = 0;
    for (let i = 0; i < original.data.length; i++)
      worst = Math.max(worst, Math.abs(got!.embedding!.colbert!.data[i]! - original.data[i]!));
    expect(worst).toBeLessThan(2e-3);
    await reopened.close();
  });

  it('opens a version-2 file of float32 rows (written before int8) and converts it on the first write-open', async () => {
    const path = join(directory, 'old-v2.m3store');
    const header = JSON.stringify({
      format: 'm3kit-exact-store',
      version: 2,
      collection: {
        ...bigSpec,
        signals: ['dense', 'sparse', 'colbert'],
        storeText: true,
        metadataFields: [],
      },
    });
    const records = big.records.slice(0, 4).map((r) => ({
      id: r.id,
      dense: Buffer.from(r.embedding.dense!.buffer).toString('base64'),
      colbert: {
        rows: r.embedding.colbert!.rows,
        dim: 1024,
        data: Buffer.from(r.embedding.colbert!.data.buffer).toString('base64'),
      },
    }));
    const json = JSON.stringify({ op: 'upsert', records });
    writeFileSync(path, `${header}\n${crc32Hex(Buffer.from(json))}\t${json}\n`);
    const readOnly = new ExactStore({ collection: bigSpec, path, readOnly: true });
    await readOnly.ensureCollection();
    expect(await readOnly.count()).toBe(4);
    expect(readFileSync(path, 'utf8')).toContain('"version":2');
    const store = new ExactStore({ collection: bigSpec, path });
    await store.ensureCollection();
    expect(readFileSync(path, 'utf8')).toContain('"version":4');
    expect(statSync(sideFileOf(path)).size).toBeGreaterThan(0);
    const result = await store.query({ embedding: big.queries[1]!, signals: ['colbert'], topK: 4 });
    expect(result.hits).toHaveLength(4);
    expect(result.hits[0]!.score).toBeGreaterThan(0);
  });
});

describe('ExactStore in memory', () => {
  it('needs ensureCollection first, and says so', async () => {
    const store = new ExactStore({ collection: spec });
    await expect(store.count()).rejects.toThrow(/ensureCollection/);
  });

  it('copies records, so later changes to the caller buffers do not leak in', async () => {
    const store = new ExactStore({ collection: spec });
    await store.ensureCollection();
    const record = {
      ...corpus.records[0]!,
      embedding: {
        ...corpus.records[0]!.embedding,
        dense: corpus.records[0]!.embedding.dense!.slice(),
      },
    };
    await store.upsert([record]);
    record.embedding.dense[0] = 42;
    const [got] = await store.get([record.id], { includeEmbedding: true });
    expect(got!.embedding!.dense![0]).not.toBe(42);
  });

  it('drops everything', async () => {
    const store = new ExactStore({ collection: spec });
    await store.ensureCollection();
    await store.upsert(corpus.records);
    await store.drop();
    await store.ensureCollection();
    expect(await store.count()).toBe(0);
  });

  it('rejects a collection name that some backend would refuse', () => {
    expect(() => new ExactStore({ collection: { name: 'Has Spaces', denseDimension: 4 } })).toThrow(
      InvalidInputError,
    );
  });
});

describe('ExactStore sparse candidates', () => {
  it('ranks by sparse only the documents sharing a token with the query, as every backend does', async () => {
    const store = new ExactStore({
      collection: { name: 'sparse', denseDimension: 2, signals: ['dense', 'sparse'] },
    });
    await store.ensureCollection();
    const record = (id: string, tokens: number[], dense = Float32Array.of(1, 0)) => ({
      id,
      embedding: {
        dense,
        lexical: {
          indices: Uint32Array.from(tokens),
          values: new Float32Array(tokens.length).fill(0.5),
        },
      },
    });
    await store.upsert([record('shares', [5, 9]), record('other', [7], Float32Array.of(0, 1))]);
    const query = {
      dense: Float32Array.of(1, 0),
      lexical: { indices: Uint32Array.of(9), values: Float32Array.of(1) },
    };
    const sparse = await store.query({ embedding: query, signals: ['sparse'], topK: 10 });
    expect(sparse.hits.map((h) => h.id)).toEqual(['shares']);
    const rrf = await store.query({ embedding: query, fusion: { kind: 'rrf' }, topK: 10 });
    // 'other' is second by dense and absent from the sparse list: 1 / (60 + 2) and nothing more.
    expect(rrf.hits.find((h) => h.id === 'other')!.score).toBeCloseTo(1 / 62, 12);
    const weighted = await store.query({ embedding: query, topK: 10 });
    expect(weighted.hits.map((h) => h.id)).toEqual(['shares', 'other']);
  });
});

describe('ExactStore file damage', () => {
  async function writeFile3Lines(name: string): Promise<string> {
    const path = join(directory, name);
    const store = new ExactStore({ collection: spec, path });
    await store.ensureCollection();
    await store.upsert(corpus.records.slice(0, 4));
    await store.upsert(corpus.records.slice(4, 8));
    await store.upsert(corpus.records.slice(8, 12));
    await store.close();
    return path;
  }

  it('skips a line with a flipped byte, naming the file and byte offset, and reads the rest; repair writes a clean file', async () => {
    const path = await writeFile3Lines('flipped.m3store');
    const bytes = readFileSync(path);
    const lineStarts = [...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1);
    const second = lineStarts[1]!; // the header is line 0, then one line per upsert
    bytes[second + 40] = bytes[second + 40] === 0x41 ? 0x42 : 0x41;
    writeFileSync(path, bytes);
    const seen: string[] = [];
    const reader = new ExactStore({
      collection: spec,
      path,
      readOnly: true,
      onDamage: (d) => seen.push(`${d.path}@${d.offset}: ${d.reason}`),
    });
    await reader.ensureCollection();
    expect(await reader.count()).toBe(8);
    expect(seen).toEqual([`${path}@${second}: damaged record: checksum mismatch`]);
    expect((await reader.get(['doc-4'])).length).toBe(0);
    expect((await reader.get(['doc-3', 'doc-8'])).length).toBe(2);
    expect(readFileSync(path)).toEqual(bytes); // read-only: untouched
    const repaired = new ExactStore({ collection: spec, path, repair: true });
    await repaired.ensureCollection();
    await repaired.close();
    const clean = new ExactStore({ collection: spec, path });
    await clean.ensureCollection();
    expect(clean.damage).toEqual([]);
    expect(await clean.count()).toBe(8);
  });

  it('reports a torn tail, keeps the whole lines, and a later append is not lost to it', async () => {
    const path = await writeFile3Lines('tail.m3store');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 30));
    const store = new ExactStore({ collection: spec, path });
    await store.ensureCollection();
    expect(await store.count()).toBe(8);
    expect(store.damage).toEqual([
      { path, offset: expect.any(Number), reason: expect.stringMatching(/torn last line/) },
    ]);
    await store.upsert(corpus.records.slice(8, 10));
    await store.close();
    const again = new ExactStore({ collection: spec, path });
    await again.ensureCollection();
    expect(await again.count()).toBe(10);
  });

  it('stops a large upsert between parts when aborted', async () => {
    const store = new ExactStore({ collection: spec, path: join(directory, 'abort.m3store') });
    await store.ensureCollection();
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...corpus.records[i % corpus.records.length]!,
      id: `r${i}`,
    }));
    const controller = new AbortController();
    const writing = store.upsert(many, { signal: controller.signal });
    controller.abort();
    await expect(writing).rejects.toThrow(/partial|abort/i);
    expect(await store.count()).toBeLessThan(5000);
  });
});

describe('ExactStore ColBERT rerank of candidates', () => {
  const many = syntheticCorpus({ documents: 60, queries: 4, dimension: 16, colbertRows: [2, 6] });
  const manySpec = { name: 'rerank', denseDimension: 16 };

  async function pair(): Promise<{ rerank: ExactStore; exhaustive: ExactStore }> {
    const rerank = new ExactStore({ collection: manySpec, colbertScoring: 'rerank' });
    const exhaustive = new ExactStore({ collection: manySpec });
    for (const store of [rerank, exhaustive]) {
      await store.ensureCollection();
      await store.upsert(many.records);
    }
    return { rerank, exhaustive };
  }

  it('defaults: exhaustive in memory (the yardstick), rerank with a file; accuracy says so', () => {
    const memory = new ExactStore({ collection: manySpec });
    const file = new ExactStore({ collection: manySpec, path: join(directory, 'default.m3store') });
    expect(memory.colbertScoring).toBe('exhaustive');
    expect(memory.capabilities.accuracy.weighted).toBe('exact');
    expect(file.colbertScoring).toBe('rerank');
    expect(file.capabilities.accuracy.colbert).toBe('exact');
    expect(file.capabilities.accuracy.weighted).toEqual({ minRecallAt10: 0.9 });
    expect(
      () => new ExactStore({ collection: manySpec, colbertScoring: 'all' as 'rerank' }),
    ).toThrow(/colbertScoring must be "rerank" or "exhaustive", got "all"/);
  });

  it('scores ColBERT only on the union of the dense and sparse candidate lists', async () => {
    const { rerank, exhaustive } = await pair();
    for (const embedding of many.queries) {
      const result = await rerank.query({ embedding, topK: 5, candidates: 8 });
      expect(result.execution).toMatchObject({ fusion: 'client', colbert: 'client' });
      const all = await exhaustive.query({ embedding, topK: 60, signals: ['dense', 'sparse'] });
      const byDense = [...all.hits]
        .sort((a, b) => b.signalScores.dense! - a.signalScores.dense! || (a.id < b.id ? -1 : 1))
        .slice(0, 8)
        .map((h) => h.id);
      const bySparse = [...all.hits]
        .filter((h) => h.signalScores.sparse! > 0)
        .sort((a, b) => b.signalScores.sparse! - a.signalScores.sparse! || (a.id < b.id ? -1 : 1))
        .slice(0, 8)
        .map((h) => h.id);
      const union = new Set([...byDense, ...bySparse]);
      expect(result.execution.description).toContain(`reranked their ${union.size} candidates`);
      for (const hit of result.hits) expect(union.has(hit.id)).toBe(true);
      // Each hit's ColBERT score is still the exact one.
      const exact = await exhaustive.query({ embedding, topK: 60, signals: ['colbert'] });
      const colbert = new Map(exact.hits.map((h) => [h.id, h.score]));
      for (const hit of result.hits)
        expect(hit.signalScores.colbert).toBeCloseTo(colbert.get(hit.id)!, 12);
    }
  });

  it('gives the exhaustive top-k where it must: ColBERT agreeing with dense, no sparse', async () => {
    // ColBERT rows = the dense vector itself, so the weighted score is the dense score and the
    // exhaustive top 10 lies inside the top 20 by dense.
    const agreeing = many.records.map((r) => ({
      ...r,
      embedding: {
        ...r.embedding,
        colbert: { data: r.embedding.dense!.slice(), rows: 1, dim: 16 },
      },
    }));
    const rerank = new ExactStore({ collection: manySpec, colbertScoring: 'rerank' });
    const exhaustive = new ExactStore({ collection: manySpec, colbertScoring: 'exhaustive' });
    for (const store of [rerank, exhaustive]) {
      await store.ensureCollection();
      await store.upsert(agreeing);
    }
    for (const query of many.queries) {
      const embedding = { ...query, colbert: { data: query.dense!.slice(), rows: 1, dim: 16 } };
      for (const fusion of ['weighted', 'rrf', 'dbsf'] as const) {
        const request = {
          embedding,
          signals: ['dense', 'colbert'] as const,
          fusion: { kind: fusion },
          topK: 10,
          candidates: 20,
        };
        const a = await rerank.query(request);
        const b = await exhaustive.query(request);
        expect(a.execution.description).toContain('reranked their 20 candidates');
        expect(b.execution.fusion).toBe('exact');
        expect(a.hits.map((h) => h.id)).toEqual(b.hits.map((h) => h.id));
      }
    }
  });

  it('a ColBERT-only query, and candidates covering the corpus, score every document', async () => {
    const { rerank, exhaustive } = await pair();
    const embedding = many.queries[0]!;
    const only = await rerank.query({ embedding, signals: ['colbert'], topK: 10 });
    expect(only.execution.description).toMatch(/^exact: scored 60 documents by colbert/);
    expect(only.hits).toEqual(
      (await exhaustive.query({ embedding, signals: ['colbert'], topK: 10 })).hits,
    );
    const covering = await rerank.query({ embedding, topK: 10, candidates: 60 });
    expect(covering.execution).toMatchObject({ fusion: 'exact', colbert: 'exact' });
    expect(covering.hits).toEqual((await exhaustive.query({ embedding, topK: 10 })).hits);
  });
});

describe('ExactStore ColBERT side file (format 4)', () => {
  const lazy = syntheticCorpus({
    documents: 200,
    queries: 3,
    dimension: 16,
    colbertRows: [2, 6],
    lexicalEntries: [3, 9],
    seed: 9,
  });
  const lazySpec = { name: 'lazy', denseDimension: 16 };

  /** Opens side files through a counter of reads and bytes. */
  function counting(): { open: OpenPositionalFile; reads: number; bytes: number } {
    const counter = {
      reads: 0,
      bytes: 0,
      open: async (path: string): Promise<PositionalFile> => {
        const handle = await open(path, 'r');
        return {
          read: async (buffer, offset, length, position) => {
            const result = await handle.read(buffer, offset, length, position);
            counter.reads++;
            counter.bytes += result.bytesRead;
            return result;
          },
          close: () => handle.close(),
        };
      },
    };
    return counter;
  }

  async function written(name: string): Promise<string> {
    const path = join(directory, name);
    const store = new ExactStore({ collection: lazySpec, path });
    await store.ensureCollection();
    await store.upsert(lazy.records);
    await store.close();
    return path;
  }

  it('opening reads no ColBERT row; a hybrid query reads only its candidates rows', async () => {
    const path = await written('lazy.m3store');
    const counter = counting();
    const store = new ExactStore({ collection: lazySpec, path, openSideFile: counter.open });
    await store.ensureCollection();
    expect(counter.bytes).toBe(0);
    const total = statSync(sideFileOf(path)).size;
    const result = await store.query({ embedding: lazy.queries[0]!, topK: 5, candidates: 10 });
    const scored = Number(/reranked their (\d+) candidates/.exec(result.execution.description)![1]);
    expect(scored).toBeLessThanOrEqual(20);
    expect(counter.reads).toBe(scored);
    expect(store.colbertBytesRead).toBe(counter.bytes);
    expect(counter.bytes).toBeLessThan(total / 5);
    // The rows read are the right ones: scores match an in-memory store of the same rows.
    const memory = new ExactStore({ collection: lazySpec, colbertStorage: 'int8' });
    await memory.ensureCollection();
    await memory.upsert(lazy.records);
    const reference = await memory.query({ embedding: lazy.queries[0]!, topK: 5, candidates: 10 });
    expect(result.hits.map((h) => [h.id, h.score])).toEqual(
      reference.hits.map((h) => [h.id, h.score]),
    );
    // A ColBERT-only query is exhaustive: it reads every row once.
    counter.bytes = 0;
    await store.query({ embedding: lazy.queries[1]!, signals: ['colbert'], topK: 5 });
    expect(counter.bytes).toBe(total);
    await store.close();
  });

  it('a damaged ColBERT row region is reported with the side file and offset, and repair drops that record', async () => {
    const path = await written('side-damage.m3store');
    const side = sideFileOf(path);
    const bytes = readFileSync(side);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(side, bytes);
    const seen: string[] = [];
    const store = new ExactStore({
      collection: lazySpec,
      path,
      readOnly: true,
      onDamage: (d) => seen.push(`${d.path}@${d.offset}: ${d.reason}`),
    });
    await store.ensureCollection();
    expect(seen).toEqual([]); // nothing read yet
    const result = await store.query({
      embedding: lazy.queries[0]!,
      signals: ['colbert'],
      topK: 5,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatch(
      new RegExp(
        `^${side.replace(/[.]/g, '\\.')}@\\d+: damaged ColBERT rows of "doc-\\d+": checksum mismatch$`,
      ),
    );
    const offset = Number(/@(\d+):/.exec(seen[0]!)![1]);
    expect(offset).toBeLessThanOrEqual(100);
    expect(result.warnings).toHaveLength(1);
    expect(result.hits).toHaveLength(5);
    await store.close();
    const repaired = new ExactStore({ collection: lazySpec, path, repair: true });
    await repaired.ensureCollection();
    expect(await repaired.count()).toBe(199);
    expect(repaired.damage).toHaveLength(1);
    await repaired.close();
    expect(existsSync(side)).toBe(false); // the old side file went with the rewrite
    const clean = new ExactStore({ collection: lazySpec, path });
    await clean.ensureCollection();
    const again = await clean.query({ embedding: lazy.queries[0]!, signals: ['colbert'], topK: 5 });
    expect(again.warnings).toEqual([]);
    await clean.close();
  });

  it('converts a version-3 file (int8 rows inline) to a side file on the first writable open', async () => {
    const path = join(directory, 'old-v3.m3store');
    const header = JSON.stringify({
      format: 'm3kit-exact-store',
      version: 3,
      collection: {
        ...lazySpec,
        signals: ['dense', 'sparse', 'colbert'],
        storeText: true,
        metadataFields: [],
      },
    });
    const records = lazy.records
      .slice(0, 5)
      .map((r) =>
        encodeRecord(
          { ...r, embedding: { dense: r.embedding.dense! } },
          quantizeMultiVectorInt8(r.embedding.colbert!),
        ),
      );
    const json = JSON.stringify({ op: 'upsert', records });
    writeFileSync(path, `${header}\n${crc32Hex(Buffer.from(json))}\t${json}\n`);
    const reader = new ExactStore({ collection: lazySpec, path, readOnly: true });
    await reader.ensureCollection();
    const before = await reader.query({
      embedding: lazy.queries[0]!,
      signals: ['colbert'],
      topK: 5,
    });
    expect(readFileSync(path, 'utf8')).toContain('"version":3');
    const store = new ExactStore({ collection: lazySpec, path });
    await store.ensureCollection();
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('"version":4');
    expect(text).not.toContain('"int8":');
    const after = await store.query({ embedding: lazy.queries[0]!, signals: ['colbert'], topK: 5 });
    expect(after.hits).toEqual(before.hits);
    await store.close();
  });

  it('drop removes the side file; a side file left by a bare rm is cleared by the next writable open', async () => {
    const path = await written('drop-side.m3store');
    const side = sideFileOf(path);
    const store = new ExactStore({ collection: lazySpec, path });
    await store.ensureCollection();
    await store.drop();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(side)).toBe(false);
    const again = await written('drop-side.m3store');
    const orphan = sideFileOf(again);
    rmSync(again);
    const fresh = new ExactStore({ collection: lazySpec, path: again });
    await fresh.ensureCollection();
    expect(existsSync(orphan)).toBe(false);
    expect(readdirSync(directory).filter((n) => n.startsWith('drop-side.m3store.'))).toEqual([
      basename(sideFileOf(again)),
    ]);
    await fresh.close();
  });
});
