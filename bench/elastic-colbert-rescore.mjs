#!/usr/bin/env node
// ColBERT rescoring micro-benchmark for @m3kit/elastic: the client-side MaxSim that runs when the
// cluster cannot (no rank_vectors). Default shape: 100 candidates x 256 rows x 32 query rows x
// 1024 dims (0.84 G multiply-adds); target <= 50 ms on 2 cores. Every row starts from the base64
// text Elasticsearch returns (decoding included) and prints its score error against float64.
// The peer, measured in the same run, is core's colbertScores (its float32 WebAssembly kernel)
// over float32 blobs decoded to Float32Arrays; also printed: the plain JavaScript fallback (the
// "naive loops" the issue warns about), and @m3kit/elastic's kernel on int16 and float32 blobs.
//
//   npm run build -w @m3kit/core -w @m3kit/elastic
//   node bench/elastic-colbert-rescore.mjs [--candidates 100 --rows 256 --query-rows 32 --dim 1024 --repeat 7]
//   ES_URL=http://127.0.0.1:9200 node bench/elastic-colbert-rescore.mjs --e2e   # also: whole ColBERT
//     queries on a real node (index of 2 x candidates documents; fetch over CBOR + kernel)
import { parseArgs } from 'node:util';
import { colbertScores } from '@m3kit/core';
import { ColbertScorer, encodeColbert, encodeColbertBase64 } from '@m3kit/elastic';
import { prepareQuery, sharedColbertPool } from '../packages/elastic/dist/maxsim/colbert-pool.js';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '100' },
    rows: { type: 'string', default: '256' },
    'query-rows': { type: 'string', default: '32' },
    dim: { type: 'string', default: '1024' },
    repeat: { type: 'string', default: '7' },
    'peer-candidates': { type: 'string', default: '10' },
    e2e: { type: 'boolean', default: false },
  },
});
const candidates = Number(values.candidates);
const rows = Number(values.rows);
const queryRows = Number(values['query-rows']);
const dim = Number(values.dim);
const repeat = Number(values.repeat);
const peerCandidates = Math.min(candidates, Number(values['peer-candidates']));

// Seeded unit rows with a shared component, so dots spread like real ColBERT rows (not all ~0).
let state = 12345;
const next = () => {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
};
function gaussian() {
  return Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
}
const shared = Float32Array.from({ length: dim }, gaussian);
function multiVector(count) {
  const data = new Float32Array(count * dim);
  for (let r = 0; r < count; r++) {
    let norm = 0;
    for (let c = 0; c < dim; c++) {
      const v = gaussian() + 0.8 * shared[c];
      data[r * dim + c] = v;
      norm += v * v;
    }
    const inverse = 1 / Math.sqrt(norm);
    for (let c = 0; c < dim; c++) data[r * dim + c] *= inverse;
  }
  return { data, rows: count, dim };
}

const query = multiVector(queryRows);
const passages = Array.from({ length: candidates }, () => multiVector(rows));
const blobs = {
  int8: passages.map((p) => encodeColbertBase64(p, 'int8')),
  int16: passages.map((p) => encodeColbertBase64(p, 'int16')),
  float32: passages.map((p) => encodeColbertBase64(p, 'float32')),
};

function float64Score(q, p) {
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    let best = -Infinity;
    for (let j = 0; j < p.rows; j++) {
      let s = 0;
      for (let c = 0; c < dim; c++) s += q.data[i * dim + c] * p.data[j * dim + c];
      if (s > best) best = s;
    }
    total += best;
  }
  return total / q.rows;
}
const truth = passages.slice(0, 5).map((p) => float64Score(query, p));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function time(fn, times) {
  const ms = [];
  let out;
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    out = fn();
    ms.push(performance.now() - t);
  }
  return { ms: median(ms), out };
}

const macs = candidates * rows * queryRows * dim;
console.log(
  `ColBERT rescoring: ${candidates} candidates x ${rows} rows x ${queryRows} query rows x ${dim} dims = ${(macs / 1e9).toFixed(2)} G multiply-adds; median of ${repeat}`,
);
console.log(
  `node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

function decodeFloat32Blob(text) {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return { data: new Float32Array(copy.buffer, 12), rows, dim };
}

const peer = time(
  () => Array.from(colbertScores(query, blobs.float32.map(decodeFloat32Blob))),
  repeat,
);
const peerMs = peer.ms;
const rowsOut = [['core colbertScores, float32 blobs decoded (peer)', peerMs, maxError(peer.out)]];

for (const [label, encoding, kernel] of [
  ['plain JavaScript fallback, int16 blobs', 'int16', 'javascript'],
  ['@m3kit/elastic WebAssembly SIMD, int16 blobs (default before int8), 1 thread', 'int16', 'auto'],
  ['@m3kit/elastic WebAssembly SIMD, int8 blobs, 1 thread', 'int8', 'auto'],
  ['@m3kit/elastic WebAssembly SIMD, float32 blobs', 'float32', 'auto'],
]) {
  const count = kernel === 'javascript' ? peerCandidates : candidates;
  const run = time(
    () => {
      const scorer = new ColbertScorer(query, { kernel });
      return blobs[encoding].slice(0, count).map((b) => scorer.scoreBase64(b));
    },
    kernel === 'javascript' ? 3 : repeat,
  );
  rowsOut.push([
    `${label}${count < candidates ? ` (timed on ${count}, scaled)` : ''}`,
    (run.ms * candidates) / count,
    maxError(run.out),
  ]);
}

// The query path: each _mget response (here 2 per worker) goes whole to a worker thread.
const pool = sharedColbertPool();
if (pool !== null) {
  const raw = passages.map((p) => encodeColbert(p, 'int8'));
  const parts = 2 * pool.threads;
  const per = Math.ceil(candidates / parts);
  const makeTasks = () =>
    Array.from({ length: parts }, (_, k) => {
      const group = raw.slice(k * per, (k + 1) * per);
      const bytes = new Uint8Array(group.reduce((a, b) => a + b.byteLength, 0));
      const spans = new Uint32Array(group.length * 2);
      let at = 0;
      group.forEach((b, i) => {
        bytes.set(b, at);
        spans[2 * i] = at;
        spans[2 * i + 1] = b.byteLength;
        at += b.byteLength;
      });
      return { bytes, spans };
    });
  const prepared = prepareQuery(query);
  await Promise.all(makeTasks().map((t) => pool.score(prepared, t))); // warm the workers up
  const ms = [];
  let out;
  for (let i = 0; i < repeat; i++) {
    const tasks = makeTasks();
    const started = performance.now();
    out = (await Promise.all(tasks.map((t) => pool.score(prepareQuery(query), t)))).flatMap((s) =>
      Array.from(s),
    );
    ms.push(performance.now() - started);
  }
  rowsOut.push([
    `@m3kit/elastic WebAssembly SIMD, int8 blobs, ${pool.threads} worker threads (default)`,
    median(ms),
    maxError(out),
  ]);
}

function maxError(scores) {
  let worst = 0;
  truth.forEach((t, i) => {
    worst = Math.max(worst, Math.abs(scores[i] - t) / Math.abs(t));
  });
  return worst;
}

console.log(
  '\n| kernel | ms for all candidates | peer / this | max relative score error vs float64 |\n| --- | --- | --- | --- |',
);
for (const [label, ms, error] of rowsOut) {
  console.log(
    `| ${label} | ${ms.toFixed(1)} | ${(peerMs / ms).toFixed(1)}x | ${error.toExponential(1)} |`,
  );
}
const mib = (encoding, base64) =>
  (
    blobs[encoding].reduce((a, b) => a + (base64 ? b.length : Buffer.byteLength(b, 'base64')), 0) /
    2 ** 20
  ).toFixed(1);
console.log(
  `\nblobs per query, base64 (JSON) / raw bytes (CBOR): int8 ${mib('int8', true)} / ${mib('int8', false)} MiB, int16 ${mib('int16', true)} / ${mib('int16', false)} MiB, float32 ${mib('float32', true)} / ${mib('float32', false)} MiB`,
);

if (values.e2e) {
  const url = process.env.ES_URL;
  if (!url) throw new Error('--e2e needs ES_URL');
  const { ElasticStore } = await import('@m3kit/elastic');
  const { syntheticCorpus } = await import('@m3kit/core/testing');
  const corpus = syntheticCorpus({
    documents: candidates * 2,
    queries: repeat,
    colbertRows: [rows, rows],
    dimension: dim,
    seed: 3,
  });
  const store = new ElasticStore({
    node: url,
    collection: { name: 'm3bench_colbert', denseDimension: dim },
    indexSettings: { number_of_replicas: 0 },
  });
  await store.drop();
  await store.ensureCollection();
  let started = performance.now();
  await store.upsert(corpus.records);
  console.log(
    `\nend to end on ${url}: ${corpus.records.length} documents x ${rows} rows written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const ms = [];
  let description = '';
  for (const embedding of corpus.queries) {
    started = performance.now();
    const result = await store.query({ embedding, signals: ['colbert'], topK: 10, candidates });
    ms.push(performance.now() - started);
    description = result.execution.description;
  }
  console.log(
    `ColBERT-only query, ${candidates} candidates from kNN + sparse: median ${median(ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms over ${ms.length}\n  ${description}`,
  );
  await store.drop();
  await store.close();
}
