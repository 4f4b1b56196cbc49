#!/usr/bin/env node
// Where an Elasticsearch hybrid query's time goes, at a few thousand realistic passages: per
// query, the candidate searches (client-side ms and Elasticsearch's own `took`), the ColBERT
// fetches (ms while any was in flight, bytes), and the rest (decoding, scoring, fusion). The
// index is kept between runs (`--index`), so the upsert is paid once; `--drop` removes it.
//
//   ES_URL=... node bench/dist/elastic-query-profile.js --passages 3000 --queries 20
//   ES_URL=... node --cpu-prof --cpu-prof-dir=/tmp/prof bench/dist/elastic-query-profile.js ...
import { parseArgs } from 'node:util';
import type { HybridQuery, M3Record } from '@m3kit/core';
import { RealisticCorpus } from '@m3kit/core/testing';
import { ElasticStore, type ColbertEncoding } from '@m3kit/elastic';
import { fixed, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '3000' },
    queries: { type: 'string', default: '20' },
    index: { type: 'string', default: '' },
    encoding: { type: 'string', default: 'int8' },
    threads: { type: 'string', default: '' },
    fusion: { type: 'string', default: 'weighted' },
    candidates: { type: 'string', default: '100' },
    drop: { type: 'boolean', default: false },
  },
});

const url = process.env['ES_URL'];
if (!url) throw new Error('set ES_URL');
const passages = Number(values.passages);
const encoding = values.encoding as ColbertEncoding;
const index = values.index || `m3prof_${encoding}_${passages}`;
const corpus = new RealisticCorpus({
  passages,
  queries: Number(values.queries),
  passageTokens: [19, 299],
  seed: 7,
});

interface Timing {
  ms: number;
  bytes: number;
  took: number;
}
const current: Record<string, Timing> = {};
let inFlight = 0;
let fetchStart = 0;
let fetchBusy = 0;

const store = new ElasticStore({
  node: url,
  collection: {
    name: index,
    denseDimension: 1024,
    signals: ['dense', 'sparse', 'colbert'],
    metadataFields: [{ name: 'lang', type: 'keyword' }],
  },
  colbertEncoding: encoding,
  indexSettings: { number_of_shards: 1, number_of_replicas: 0 },
  ...(values.threads ? { colbertThreads: Number(values.threads) } : {}),
});
// The store's client, its transport wrapped to record every request's time and size by path.
const client = store.client;
const original = client.transport.request.bind(client.transport);
const timed = async (params: { path: string }, options?: unknown): Promise<unknown> => {
  const kind = params.path.replace(/^\/[^/]+/, '') || params.path;
  const begin = performance.now();
  if (kind === '/_mget' && inFlight++ === 0) fetchStart = begin;
  try {
    // biome-ignore lint/suspicious/noExplicitAny: a pass-through of the client's own arguments
    const result = await original(params as any, options as any);
    const entry = current[kind] ?? { ms: 0, bytes: 0, took: 0 };
    current[kind] = entry;
    entry.ms += performance.now() - begin;
    entry.bytes +=
      result instanceof Uint8Array ? result.byteLength : JSON.stringify(result ?? '').length;
    const responses = (result as { responses?: { took?: number }[] } | undefined)?.responses;
    if (responses) entry.took += Math.max(...responses.map((r) => r.took ?? 0));
    return result;
  } finally {
    if (kind === '/_mget' && --inFlight === 0) fetchBusy += performance.now() - fetchStart;
  }
};
(client.transport as unknown as { request: typeof timed }).request = timed;

await store.ensureCollection();
const have = await store.count();
if (have < passages) {
  console.log(`index ${index} holds ${have}; writing ${passages - have} more passages`);
  let batch: M3Record[] = [];
  let written = 0;
  let writeSeconds = 0;
  for (const record of corpus.passages()) {
    if (written++ < have) continue;
    batch.push(record);
    if (batch.length === 64) {
      const begin = performance.now();
      await store.upsert(batch);
      writeSeconds += (performance.now() - begin) / 1000;
      batch = [];
    }
  }
  if (batch.length > 0) {
    const begin = performance.now();
    await store.upsert(batch);
    writeSeconds += (performance.now() - begin) / 1000;
  }
  console.log(`upsert: ${fixed((passages - have) / writeSeconds, 1)} passages/s of write time`);
}

const fusion = values.fusion as 'weighted' | 'rrf' | 'dbsf' | 'colbert';
const query = (embedding: HybridQuery['embedding']): HybridQuery =>
  fusion === 'colbert'
    ? { embedding, signals: ['colbert'], topK: 10, candidates: Number(values.candidates) }
    : { embedding, fusion: { kind: fusion }, topK: 10, candidates: Number(values.candidates) };
const rows: Record<string, number[]> = {};
const push = (key: string, value: number): void => {
  const list = rows[key] ?? [];
  list.push(value);
  rows[key] = list;
};
// One warm-up query (workers start, the kernel compiles, Elasticsearch's caches fill).
await store.query(query(corpus.queries()[0]!.embedding));
let description = '';
for (const { embedding } of corpus.queries()) {
  for (const key of Object.keys(current)) delete current[key];
  fetchBusy = 0;
  const begin = performance.now();
  const result = await store.query(query(embedding));
  const total = performance.now() - begin;
  description = result.execution.description;
  const search = current['/_msearch'] ?? { ms: 0, bytes: 0, took: 0 };
  const fetch = current['/_mget'] ?? { ms: 0, bytes: 0, took: 0 };
  push('total ms', total);
  push('candidate search ms (client)', search.ms);
  push('candidate search took ms (Elasticsearch)', search.took);
  push('candidate search MiB', search.bytes / 2 ** 20);
  push('ColBERT fetch ms (any in flight)', fetchBusy);
  push('ColBERT fetch MiB', fetch.bytes / 2 ** 20);
  push('rest ms (total - search - fetch window)', total - search.ms - fetchBusy);
}
console.log(`\n${index}: ${passages} passages, ${encoding} ColBERT, ${fusion}; ${description}`);
console.log('| part | p50 | p95 |\n| --- | --- | --- |');
for (const [key, list] of Object.entries(rows))
  console.log(`| ${key} | ${fixed(percentile(list, 50))} | ${fixed(percentile(list, 95))} |`);
if (values.drop) await store.drop();
await store.close();
