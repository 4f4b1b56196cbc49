#!/usr/bin/env node
// Qdrant's compact ColBERT forms on the realistic corpus (core/testing: passages of 20-300 rows,
// 1024-d): for each option, stored bytes per token from the server's own segment stats
// (telemetry), and ColBERT-only top-10 agreement and max relative score error against float32
// exact MaxSim computed here (core's colbertScores). The float32 collection is the peer of the
// same run.
//
//   npm run build && QDRANT_URL=http://127.0.0.1:6333 node bench/qdrant-colbert-compact.mjs --passages 300 --queries 20
import { parseArgs } from 'node:util';
import { colbertScores } from '@m3kit/core';
import { RealisticCorpus } from '@m3kit/core/testing';
import { QdrantStore } from '@m3kit/qdrant';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '300' },
    queries: { type: 'string', default: '20' },
    only: { type: 'string' },
  },
});
const url = process.env.QDRANT_URL;
if (!url) {
  console.error('set QDRANT_URL');
  process.exit(2);
}
const PASSAGES = Number(values.passages);
const corpus = new RealisticCorpus({
  seed: 13,
  passages: PASSAGES,
  queries: Number(values.queries),
});
const records = Array.from({ length: PASSAGES }, (_, i) => {
  const record = corpus.passage(i);
  return { ...record, embedding: { colbert: record.embedding.colbert } };
});
const tokens = records.reduce((sum, r) => sum + r.embedding.colbert.rows, 0);
const queries = corpus.queries().map((q) => q.embedding.colbert);
const exact = queries.map((q) => {
  const scores = colbertScores(
    q,
    records.map((r) => r.embedding.colbert),
  );
  const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a]);
  return {
    top: new Set(order.slice(0, 10).map((i) => records[i].id)),
    score: new Map(records.map((r, i) => [r.id, scores[i]])),
  };
});

const OPTIONS = [
  { label: 'float32 (default)', colbert: {} },
  { label: 'float16', colbert: { datatype: 'float16' } },
  { label: 'turbo4 rows', colbert: { datatype: 'turbo4' } },
  {
    label: 'int8 scalar copy, scored quantized, rows on disk',
    colbert: { quantization: { alwaysRam: true }, score: 'quantized', onDisk: true },
  },
  {
    label: 'binary 1-bit copy (query 8-bit), scored quantized',
    colbert: {
      quantization: { kind: 'binary', queryEncoding: 'scalar8bits', alwaysRam: true },
      score: 'quantized',
      onDisk: true,
    },
  },
  {
    label: 'binary 2-bit copy (query 8-bit), scored quantized',
    colbert: {
      quantization: {
        kind: 'binary',
        encoding: 'two_bits',
        queryEncoding: 'scalar8bits',
        alwaysRam: true,
      },
      score: 'quantized',
      onDisk: true,
    },
  },
  {
    label: 'turbo 4-bit copy, scored quantized',
    colbert: {
      quantization: { kind: 'turbo', bits: 4, alwaysRam: true },
      score: 'quantized',
      onDisk: true,
    },
  },
];

/** Sums every segment's byte counters found under the collection in the server's telemetry. */
async function segmentBytes(name) {
  const response = await fetch(`${url}/telemetry?details_level=10&per_collection=true`);
  const body = await response.json();
  const collections = body.result?.collections?.collections ?? [];
  const mine = collections.find((c) => c.id === name);
  const totals = { vectors: 0, ram: 0, disk: 0, segments: 0, indexed: 0 };
  const walk = (node) => {
    if (node === null || typeof node !== 'object') return;
    if (typeof node.vectors_size_bytes === 'number' && typeof node.disk_usage_bytes === 'number') {
      totals.vectors += node.vectors_size_bytes;
      totals.ram += node.ram_usage_bytes ?? 0;
      totals.disk += node.disk_usage_bytes;
      totals.indexed += node.num_indexed_vectors ?? 0;
      totals.segments++;
      return;
    }
    for (const value of Object.values(node)) walk(value);
  };
  walk(mine);
  return totals;
}

async function waitGreen(store, name) {
  for (let i = 0; i < 600; i++) {
    const info = await store.client.getCollection(name);
    if (
      info.status === 'green' &&
      (info.optimizer_status === 'ok' || info.optimizer_status?.ok !== undefined)
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${name} not green after 300 s`);
}

const rows = [];
for (const option of OPTIONS) {
  if (values.only && !option.label.includes(values.only)) continue;
  const name = `m3bench_compact_${Date.now().toString(36)}`;
  const store = new QdrantStore({
    url,
    collection: { name, denseDimension: 1024, signals: ['colbert'], storeText: false },
    colbert: option.colbert,
  });
  try {
    await store.ensureCollection();
    // Small collections stay in appendable segments, where no quantised copy is built: a low
    // threshold makes the optimizer build the segments (and copies) the option describes.
    await store.client.updateCollection(name, { optimizers_config: { indexing_threshold: 1000 } });
    const start = performance.now();
    for (let i = 0; i < records.length; i += 16) await store.upsert(records.slice(i, i + 16));
    const upsertSeconds = (performance.now() - start) / 1000;
    await waitGreen(store, name);
    const bytes = await segmentBytes(name);
    let agreement = 0;
    let maxError = 0;
    const latencies = [];
    for (const [i, q] of queries.entries()) {
      const t = performance.now();
      const result = await store.query({
        embedding: { colbert: q },
        topK: 10,
        includeText: false,
        includeMetadata: false,
      });
      latencies.push(performance.now() - t);
      agreement += result.hits.filter((h) => exact[i].top.has(h.id)).length / 10;
      for (const hit of result.hits) {
        const truth = exact[i].score.get(hit.id);
        maxError = Math.max(maxError, Math.abs(hit.score - truth) / Math.abs(truth));
      }
    }
    latencies.sort((a, b) => a - b);
    rows.push({
      option: option.label,
      vectorBytesPerToken: bytes.vectors / tokens,
      ramBytesPerToken: bytes.ram / tokens,
      diskBytesPerToken: bytes.disk / tokens,
      agreement: agreement / queries.length,
      maxError,
      p50: latencies[Math.floor(latencies.length / 2)],
      upsert: records.length / upsertSeconds,
      segments: bytes.segments,
    });
    console.log(JSON.stringify(rows.at(-1)));
  } catch (error) {
    console.log(`${option.label}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await store.drop().catch(() => undefined);
  }
}

const features = await new QdrantStore({
  url,
  collection: { name: 'm3bench_probe', denseDimension: 4 },
}).serverFeatures();
console.log(
  `\nQdrant ${features.version}; realistic corpus: ${PASSAGES} passages, ${tokens} ColBERT tokens (1024-d), ${queries.length} queries; ColBERT-only top-10`,
);
console.log(
  '| option | vector bytes/token | RAM bytes/token | disk bytes/token | top-10 agreement vs float32 exact | max rel. score error | query p50 ms | upsert passages/s |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const peer = rows.find((r) => r.option.startsWith('float32'));
for (const r of rows) {
  const ratio = peer ? ` (x${(r.vectorBytesPerToken / peer.vectorBytesPerToken).toFixed(2)})` : '';
  console.log(
    `| ${r.option} | ${r.vectorBytesPerToken.toFixed(0)}${ratio} | ${r.ramBytesPerToken.toFixed(0)} | ${r.diskBytesPerToken.toFixed(0)} | ${r.agreement.toFixed(3)} | ${r.maxError.toExponential(1)} | ${r.p50.toFixed(1)} | ${r.upsert.toFixed(1)} |`,
  );
}
