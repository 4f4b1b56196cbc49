#!/usr/bin/env node
// Ingestion benchmark (issue: "writes hidden behind encoding"): the same generated corpus is
// (1) chunked and encoded alone, the peer, and (2) ingested end to end with core's ingest() into a
// store; prints both throughputs and their ratio. With --memory it also runs ingest in child
// processes at N and 10N documents, streamed from a generator, and prints their peak RSS.
//
//   node bench/dist/ingest-bench.js --model DIR --backend exact --documents 200
//   node bench/dist/ingest-bench.js --model DIR --backend milvus --documents 100 --memory
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chunkDocuments, ingest, resolveChunking, type M3Document } from '@m3kit/core';
import { SeededRandom } from '@m3kit/core/testing';
import { M3Encoder } from '@m3kit/encoder';
import { backendFactory } from './backends/index.js';
import { fixed, peakRssMiB } from './stats.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fixtures/tiny-m3' },
    backend: { type: 'string', default: 'exact' },
    documents: { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    memory: { type: 'boolean', default: false },
    'ingest-only': { type: 'boolean', default: false },
  },
});
const count = Number(values.documents);
const chunking = resolveChunking({ maxTokens: 512, overlap: 64 });

/** Deterministic multilingual documents of 20-400 words, built from the bundled sample's words. */
function* documents(n: number): Generator<M3Document> {
  const sample = readFileSync(new URL('../../examples/data/sample.jsonl', import.meta.url), 'utf8');
  const words = sample.split('\n').filter(Boolean).flatMap((line) => String(JSON.parse(line).text).split(/\s+/));
  const random = new SeededRandom(11);
  for (let i = 0; i < n; i++) {
    const length = random.int(20, 400);
    const text = Array.from({ length }, () => random.pick(words)).join(' ');
    yield { id: `bench-${i}`, text, metadata: { lang: 'mixed' } };
  }
}

const encoder = await M3Encoder.load(values.model, { threads: Number(values.threads) });
const spec = { name: `m3ingest_${count}`, denseDimension: encoder.denseDimension };

async function ingestOnce(): Promise<{ seconds: number; tokens: number; chunks: number }> {
  const backend = await backendFactory(values.backend);
  const store = await backend.createStore(spec);
  await store.ensureCollection();
  await store.drop();
  await store.ensureCollection();
  const report = await ingest(documents(count), { encoder, store, chunking });
  await store.drop();
  await store.close();
  return { seconds: report.seconds, tokens: report.tokens, chunks: report.chunks };
}

if (values['ingest-only']) {
  const result = await ingestOnce();
  console.log(JSON.stringify({ ...result, peakRssMiB: peakRssMiB() }));
  process.exit(0);
}

console.log(`corpus: ${count} generated documents of 20-400 words; model ${values.model}; ${values.threads} threads; backend ${values.backend}`);
const all = [...documents(count)];
// Warm up onnxruntime (first runs allocate and pick kernels) so neither run pays for it alone.
await encoder.encode(all.slice(0, 4).map((d) => d.text ?? ''), { maxLength: chunking.maxTokens });
const begin = performance.now();
let encodedTokens = 0;
for (let i = 0; i < all.length; i += 16) {
  const chunks = (await chunkDocuments(all.slice(i, i + 16), encoder, chunking)).flat();
  await encoder.encode(chunks.map((c) => c.text), { maxLength: chunking.maxTokens });
  encodedTokens += chunks.reduce((n, c) => n + c.tokens, 0);
}
const encodeSeconds = (performance.now() - begin) / 1000;
const ingested = await ingestOnce();
const encodeRate = encodedTokens / encodeSeconds;
const ingestRate = ingested.tokens / ingested.seconds;
console.log(`| run | seconds | content tokens/s | ratio |`);
console.log(`| --- | --- | --- | --- |`);
console.log(`| chunk + encode only (peer) | ${fixed(encodeSeconds)} | ${fixed(encodeRate, 0)} | 1.00 |`);
console.log(`| ingest() into ${values.backend} | ${fixed(ingested.seconds)} | ${fixed(ingestRate, 0)} | ${fixed(ingestRate / encodeRate, 2)} |`);

if (values.memory) {
  const self = fileURLToPath(import.meta.url);
  for (const n of [count, count * 10]) {
    const output = execFileSync(process.execPath, [self, '--model', values.model, '--backend', values.backend, '--documents', String(n), '--threads', values.threads, '--ingest-only'], { encoding: 'utf8' });
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as { peakRssMiB: number; chunks: number };
    console.log(`memory: ${n} documents (${result.chunks} chunks) streamed through ingest(): peak RSS ${result.peakRssMiB} MiB`);
  }
}
await encoder.close();
