#!/usr/bin/env node
// Qdrant at scale without holding the corpus: synthetic full-size BGE-M3 points (1024-d dense,
// 50-300 lexical weights over 250,002 ids, ColBERT rows) are generated chunk by chunk, written,
// and scored exactly against every query on the way (core's scorers, WASM MaxSim), so the exact
// ranking of each query mode is known without an in-memory exact store of 7+ GB.
//
//   npm run build && QDRANT_URL=http://127.0.0.1:6333 node bench/qdrant-scale.mjs --points 100000
//
// Prints upsert points/s, time until Qdrant reports the collection indexed (green), then for
// each query mode p50/p95 latency and recall@10 against the exact ranking (core's semantics:
// documents sharing no token with the query are no sparse candidates).
import { parseArgs } from 'node:util';
import {
  colbertScores,
  denseScore,
  lexicalFromPairs,
  lexicalMatchingScore,
  rankCandidates,
  resolveQuery,
  signalList,
} from '@m3kit/core';
import { SeededRandom } from '@m3kit/core/testing';
import { QdrantStore } from '@m3kit/qdrant';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '20' },
    chunk: { type: 'string', default: '2000' },
    'colbert-rows': { type: 'string', default: '8-32' },
    topics: { type: 'string', default: '256' },
    candidates: { type: 'string', default: '100' },
    exact: { type: 'boolean', default: false },
    'no-keep-alive': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const url = process.env.QDRANT_URL;
if (!url) {
  console.error('set QDRANT_URL');
  process.exit(2);
}
const POINTS = Number(values.points);
const QUERIES = Number(values.queries);
const CHUNK = Number(values.chunk);
const [MIN_ROWS, MAX_ROWS] = values['colbert-rows'].split('-').map(Number);
const DIM = 1024;
const VOCABULARY = 250_002;
const TOP_K = 10;
const CANDIDATES = Number(values.candidates);

const random = new SeededRandom(20240601);
const topics = Array.from({ length: Number(values.topics) }, () => ({
  center: unit(),
  tokens: Uint32Array.from({ length: 400 }, () => random.int(4, VOCABULARY - 2)),
  directions: Array.from({ length: 24 }, () => unit()),
}));
const queries = Array.from({ length: QUERIES }, () => {
  const topic = random.pick(topics);
  return {
    dense: nearby(topic.center, 1.0),
    lexical: lexical(topic, random.int(5, 30)),
    colbert: colbert(topic, random.int(8, 32)),
  };
});

const store = new QdrantStore({
  url,
  collection: {
    name: `m3bench_qdrant_${POINTS}`,
    denseDimension: DIM,
    metadataFields: [{ name: 'lang', type: 'keyword' }],
  },
  ...(values.exact ? { search: { exact: true, colbertCandidates: 'scan' } } : {}),
  ...(values['no-keep-alive'] ? { keepAlive: false } : {}),
});
await store.drop();
await store.ensureCollection();
const server = await store.serverFeatures();
console.log(
  `Qdrant ${server.version} at ${url}${values['no-keep-alive'] ? ' (Connection: close)' : ''}; ${POINTS} points, ${QUERIES} queries, ColBERT rows ${MIN_ROWS}-${MAX_ROWS} (skewed low), ${DIM}-d, ${topics.length} topics`,
);

// Exact per-signal scores of every point for every query, filled while writing.
const ids = [];
const exact = queries.map(() => ({
  dense: new Float64Array(POINTS),
  sparse: new Float64Array(POINTS),
  colbert: new Float64Array(POINTS),
}));
let writeSeconds = 0;
let scoreSeconds = 0;
for (let start = 0; start < POINTS; start += CHUNK) {
  const records = [];
  for (let i = start; i < Math.min(POINTS, start + CHUNK); i++) {
    const topic = random.pick(topics);
    const rows = MIN_ROWS + Math.floor((MAX_ROWS - MIN_ROWS) * random.next() ** 2);
    records.push({
      id: `doc-${i}`,
      text: `synthetic document ${i}`,
      metadata: { lang: ['en', 'de', 'ja', 'th'][i % 4] },
      embedding: {
        dense: nearby(topic.center, 0.9),
        lexical: lexical(topic, random.int(50, 300)),
        colbert: colbert(topic, rows),
      },
    });
  }
  let began = performance.now();
  await store.upsert(records);
  writeSeconds += (performance.now() - began) / 1000;
  began = performance.now();
  queries.forEach((query, q) => {
    // colbert_score: MaxSim divided by the query's rows, as core defines it.
    const colbertScore = colbertScores(
      query.colbert,
      records.map((r) => r.embedding.colbert),
    );
    records.forEach((record, j) => {
      const index = start + j;
      exact[q].dense[index] = denseScore(query.dense, record.embedding.dense);
      exact[q].sparse[index] = lexicalMatchingScore(query.lexical, record.embedding.lexical);
      exact[q].colbert[index] = colbertScore[j];
    });
  });
  records.forEach((r) => {
    ids.push(r.id);
  });
  scoreSeconds += (performance.now() - began) / 1000;
  process.stdout.write(
    `\rwritten ${Math.min(POINTS, start + CHUNK)} / ${POINTS} (${(ids.length / writeSeconds).toFixed(0)} points/s)   `,
  );
}
console.log(
  `\nupsert: ${POINTS} points in ${writeSeconds.toFixed(1)} s = ${(POINTS / writeSeconds).toFixed(0)} points/s (exact scoring on the side: ${scoreSeconds.toFixed(1)} s, not counted)`,
);

const indexBegan = performance.now();
for (;;) {
  const info = await store.client.getCollection(store.collection.name);
  if (info.status === 'green') {
    console.log(
      `indexed (collection green) ${((performance.now() - indexBegan) / 1000).toFixed(1)} s after the last write; ${info.indexed_vectors_count} vectors indexed, ${info.segments_count} segments`,
    );
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

const MODES = [
  { mode: 'dense', query: { signals: ['dense'] } },
  { mode: 'sparse', query: { signals: ['sparse'] } },
  { mode: 'colbert', query: { signals: ['colbert'] } },
  { mode: 'weighted', query: { fusion: { kind: 'weighted' } } },
  { mode: 'rrf', query: { fusion: { kind: 'rrf' } } },
  { mode: 'dbsf', query: { fusion: { kind: 'dbsf' } } },
];
const rows = [];
for (const { mode, query } of MODES) {
  const latencies = [];
  const recalls = [];
  let path = '';
  for (const [q, embedding] of queries.entries()) {
    const request = { ...query, embedding, topK: TOP_K, candidates: CANDIDATES };
    const began = performance.now();
    const result = await store.query(request);
    latencies.push(performance.now() - began);
    path = result.execution.description;
    const want = reference(request, q);
    const got = new Set(result.hits.map((h) => h.id));
    recalls.push(want.length === 0 ? 1 : want.filter((id) => got.has(id)).length / want.length);
  }
  rows.push([
    mode,
    percentile(latencies, 50),
    percentile(latencies, 95),
    recalls.reduce((a, b) => a + b, 0) / recalls.length,
    path,
  ]);
}
console.log(`\n| mode | p50 ms | p95 ms | recall@${TOP_K} | path |`);
console.log('| --- | --- | --- | --- | --- |');
for (const [mode, p50, p95, recall, path] of rows)
  console.log(
    `| ${mode} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${recall.toFixed(3)} | ${path} |`,
  );
console.log("\nreference: core's rankCandidates over the exact scores of every point");
if (!values.keep) await store.drop();

/** The exact top-k ids of one query mode (core's rankCandidates over every point's exact scores). */
function reference(request, q) {
  const resolved = resolveQuery({ ...request, topK: TOP_K }, ['dense', 'sparse', 'colbert']);
  const scores = new Map();
  const sparseMatches = new Map();
  for (let i = 0; i < ids.length; i++) {
    const perSignal = {};
    for (const signal of resolved.signals) perSignal[signal] = exact[q][signal][i];
    scores.set(ids[i], perSignal);
    if (perSignal.sparse === undefined || perSignal.sparse > 0)
      sparseMatches.set(ids[i], perSignal);
  }
  const single = resolved.signals.length === 1 ? resolved.signals[0] : undefined;
  const lists = Object.fromEntries(
    resolved.signals.map((s) => [
      s,
      signalList(s === 'sparse' ? sparseMatches : scores, s, resolved.candidates[s]),
    ]),
  );
  return rankCandidates(resolved, single === 'sparse' ? sparseMatches : scores, lists).map(
    (h) => h.id,
  );
}

function percentile(sample, p) {
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function unit() {
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = random.normal();
  return normalise(v);
}

function nearby(center, noise) {
  const scale = noise / Math.sqrt(DIM);
  const v = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) v[i] = center[i] + scale * random.normal();
  return normalise(v);
}

function normalise(v) {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

function lexical(topic, entries) {
  const pairs = [];
  while (pairs.length < entries) {
    const id =
      random.next() < 0.7
        ? topic.tokens[random.int(0, topic.tokens.length - 1)]
        : random.int(4, VOCABULARY - 2);
    pairs.push([id, 0.01 + 0.34 * random.next() ** 2]);
  }
  return lexicalFromPairs(pairs);
}

function colbert(topic, rows) {
  const data = new Float32Array(rows * DIM);
  for (let r = 0; r < rows; r++) data.set(nearby(random.pick(topic.directions), 1.2), r * DIM);
  return { data, rows, dim: DIM };
}
