#!/usr/bin/env node
// Store benchmark: synthetic full-size BGE-M3 vectors written to a backend and queried in every
// mode; prints upsert points/s, query p50/p95 and recall@10 against the exact store, which is
// measured in the same run as the peer (its latency is the brute-force baseline).
//
//   node bench/dist/store-bench.js --backend qdrant,exact --points 10000 --queries 50
//   node bench/dist/store-bench.js --backend milvus --points 100000 --signals dense,sparse
//   node bench/dist/store-bench.js --corpus synthetic ...   # the conformance corpus (independent noise per signal)
//
// The default corpus is the realistic one (@m3kit/core/testing RealisticCorpus): token-level
// passages of 20-300 ColBERT rows whose signals agree as a real model's do, made on demand so
// they are never all in memory; `--colbert-rows` then sets the passage length range.
import { parseArgs } from 'node:util';
import {
  ExactStore,
  batchBySize,
  estimateRecordJsonBytes,
  type HybridQuery,
  type M3StoreV1,
  type QueryMode,
  type Signal,
} from '@m3kit/core';
import { RealisticCorpus, syntheticCorpus, uniqueCollectionName } from '@m3kit/core/testing';
import type { M3Embedding, M3Record } from '@m3kit/core';
import { recallOf } from './recall.js';
import { backendFactory, knownBackends } from './backends/index.js';
import { fixed, peakRssMiB, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'exact' },
    points: { type: 'string', default: '10000' },
    queries: { type: 'string', default: '30' },
    corpus: { type: 'string', default: 'realistic' },
    'colbert-rows': { type: 'string', default: '' },
    signals: { type: 'string', default: 'dense,sparse,colbert' },
    'top-k': { type: 'string', default: '10' },
    candidates: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(
    `usage: store-bench --backend ${knownBackends().join('|')}[,...] --points N --queries N --colbert-rows MIN-MAX --signals dense,sparse,colbert`,
  );
  process.exit(0);
}

const points = Number(values.points);
const signals = values.signals.split(',') as Signal[];
const realistic = values.corpus === 'realistic';
if (!realistic && values.corpus !== 'synthetic')
  throw new Error(`--corpus must be realistic or synthetic, got ${values.corpus}`);
const [minRows, maxRows] = (values['colbert-rows'] || (realistic ? '20-300' : '8-32'))
  .split('-')
  .map(Number) as [number, number];
const topK = Number(values['top-k']);
const candidates = Number(values.candidates);
const modes: Array<{ mode: QueryMode; query: Partial<HybridQuery> }> = [
  ...signals.map((signal) => ({ mode: signal, query: { signals: [signal] } })),
  ...(signals.length > 1
    ? (['weighted', 'rrf', 'dbsf'] as const).map((kind) => ({
        mode: kind,
        query: { fusion: { kind } },
      }))
    : []),
];

console.log(
  `corpus: ${values.corpus}, ${points} points, ${values.queries} queries, signals ${signals.join('+')}, ColBERT rows ${minRows}-${maxRows}, 1024-d, 250,002-id vocabulary`,
);
let started = performance.now();
// Without ColBERT in the run, generate one row a point: 100k points of 20-300 rows would not fit in memory.
const colbertRows: [number, number] = signals.includes('colbert') ? [minRows, maxRows] : [1, 1];
const corpus = realisticOrSynthetic();
console.log(`queries generated in ${fixed((performance.now() - started) / 1000)} s`);

const spec = {
  // Unique: the servers are shared, and a fixed name would collide with another run.
  name: values.keep ? `m3bench_${points}` : uniqueCollectionName(`m3bench_${points}`),
  denseDimension: 1024,
  signals,
  metadataFields: [{ name: 'lang', type: 'keyword' as const }],
};
const exact = new ExactStore({ collection: spec });
await exact.ensureCollection();
const exactWrite = await timeWrites(exact);
const rows: string[][] = [];
const storage: string[] = [];
const truth = new Map<string, { ids: string[][]; ms: number[] }>();
for (const { mode, query } of modes) {
  const ids: string[][] = [];
  const ms: number[] = [];
  for (const embedding of corpus.queries) {
    started = performance.now();
    const result = await exact.query({
      ...query,
      embedding: pick(embedding, signals),
      topK,
      candidates,
    });
    ms.push(performance.now() - started);
    ids.push(result.hits.map((h) => h.id));
  }
  truth.set(mode, { ids, ms });
}

for (const name of values.backend.split(',')) {
  const backend = await backendFactory(name);
  console.log(`\nbackend: ${backend.describe()}`);
  // The exact store is already filled: it is the peer every backend is compared with.
  const store = name === 'exact' ? exact : await freshStore(await backend.createStore(spec));
  const write = name === 'exact' ? exactWrite : await timeWrites(store);
  rows.push([
    name,
    'upsert',
    `${fixed(write.pointsPerSecond, 0)} points/s`,
    '',
    '',
    '',
    `${fixed(write.pointsPerSecond / exactWrite.pointsPerSecond, 2)}x exact`,
  ]);
  if (backend.storageStats && signals.includes('colbert')) {
    const stats = await backend.storageStats(spec, store);
    const perToken = (bytes: number | undefined): string =>
      bytes === undefined ? 'n/a' : fixed(bytes / write.colbertRows, 0);
    storage.push(
      `| ${name} | ${write.colbertRows} | ${perToken(stats.colbertBytes)} | ${perToken(stats.totalBytes)} | ${fixed(stats.totalBytes / 2 ** 20, 1)} | ${stats.source} |`,
    );
  }
  for (const { mode, query } of modes) {
    const ms: number[] = [];
    const recalls: number[] = [];
    let path = '';
    const wireBefore = backend.wireBytes?.();
    for (const [q, embedding] of corpus.queries.entries()) {
      started = performance.now();
      const result = await store.query({
        ...query,
        embedding: pick(embedding, signals),
        topK,
        candidates,
      });
      ms.push(performance.now() - started);
      recalls.push(
        recallOf(
          result.hits.map((h) => h.id),
          truth.get(mode)!.ids[q]!,
          topK,
        ),
      );
      path = result.execution.description;
    }
    const peer = percentile(truth.get(mode)!.ms, 50);
    if (wireBefore !== undefined)
      path += `; ${fixed((backend.wireBytes!() - wireBefore) / corpus.queries.length / 2 ** 20, 2)} MiB on the wire a query`;
    rows.push([
      name,
      mode,
      fixed(percentile(ms, 50)),
      fixed(percentile(ms, 95)),
      fixed(recalls.reduce((a, b) => a + b, 0) / recalls.length, 3),
      fixed(peer),
      `${fixed(percentile(ms, 50) / peer, 2)}x`,
      path,
    ]);
  }
  if (name !== 'exact') {
    if (!values.keep) await store.drop();
    await store.close();
  }
}

console.log(
  `\n| backend | mode | p50 ms | p95 ms | recall@${topK} | exact p50 ms | p50 / exact | path |`,
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (storage.length > 0) {
  console.log(
    '\n| backend | ColBERT rows stored | ColBERT bytes a row | whole index bytes a row | index MiB | from |\n| --- | --- | --- | --- | --- | --- |',
  );
  for (const line of storage) console.log(line);
}
console.log(`\npeak RSS of this process: ${peakRssMiB()} MiB`);

/** Drops what an earlier run left in the collection and creates it anew. */
async function freshStore(store: M3StoreV1): Promise<M3StoreV1> {
  await store.ensureCollection();
  await store.drop();
  await store.ensureCollection();
  return store;
}

interface BenchCorpus {
  readonly queries: readonly M3Embedding[];
  /** The records, made anew on each call in batches (realistic passages are never all in memory). */
  readonly batches: () => Iterable<M3Record[]>;
}

function realisticOrSynthetic(): BenchCorpus {
  const queries = Number(values.queries);
  if (!realistic) {
    const synthetic = syntheticCorpus({ documents: points, queries, colbertRows, seed: 7 });
    const records = synthetic.records.map((r) => ({ ...r, embedding: pick(r.embedding, signals) }));
    return {
      queries: synthetic.queries,
      batches: () =>
        batchBySize(records, estimateRecordJsonBytes, { maxBytes: 16_000_000, maxItems: 512 }),
    };
  }
  const passages = new RealisticCorpus({
    passages: points,
    queries,
    passageTokens: [Math.max(1, minRows - 1), Math.max(1, maxRows - 1)],
    seed: 7,
  });
  return {
    queries: passages.queries().map((q) => q.embedding),
    batches: function* () {
      let batch: M3Record[] = [];
      let bytes = 0;
      for (const record of passages.passages()) {
        const picked = { ...record, embedding: pick(record.embedding, signals) };
        batch.push(picked);
        bytes += estimateRecordJsonBytes(picked);
        if (batch.length >= 512 || bytes >= 16_000_000) {
          yield batch;
          batch = [];
          bytes = 0;
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}

async function timeWrites(
  store: M3StoreV1,
): Promise<{ pointsPerSecond: number; colbertRows: number }> {
  let seconds = 0;
  let written = 0;
  let colbertRows = 0;
  for (const batch of corpus.batches()) {
    // Only the writes are timed: generating a realistic passage costs more than storing it.
    const begin = performance.now();
    await store.upsert(batch);
    seconds += (performance.now() - begin) / 1000;
    written += batch.length;
    for (const record of batch) colbertRows += record.embedding.colbert?.rows ?? 0;
  }
  console.log(
    `${store.capabilities.backend}: wrote ${written} points in ${fixed(seconds)} s of write time`,
  );
  return { pointsPerSecond: written / seconds, colbertRows };
}

function pick<T extends { dense?: unknown; lexical?: unknown; colbert?: unknown }>(
  embedding: T,
  wanted: readonly Signal[],
): T {
  return {
    ...embedding,
    ...(wanted.includes('dense') ? {} : { dense: undefined }),
    ...(wanted.includes('sparse') ? {} : { lexical: undefined }),
    ...(wanted.includes('colbert') ? {} : { colbert: undefined }),
  };
}
