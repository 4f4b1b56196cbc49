#!/usr/bin/env node
// Ingestion benchmark (issue: "writes hidden behind encoding"): the same generated corpus is
// (1) chunked and encoded alone, the peer, and (2) ingested end to end with core's ingest() into a
// store; prints both throughputs, their ratio, and the CPU each run used (this process, and the
// database server's when --server-pid names it), so a gap can be told apart from CPU the server
// took from the encoder on a shared machine. With --memory it also runs ingest in child processes
// at N and 10N documents, streamed from a generator, and prints their peak RSS.
//
//   node bench/dist/ingest-bench.js --model DIR --backend exact --documents 200
//   node bench/dist/ingest-bench.js --model DIR --backend qdrant --documents 24 --threads 1 --rounds 3 \
//     --server-pid "$(pgrep -d, -x qdrant)"
//   node bench/dist/ingest-bench.js --model fixtures/tiny-m3 --backend milvus --documents 1000 --memory
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  chunkDocuments,
  ingest,
  resolveChunking,
  withSyncFields,
  type M3Document,
} from '@m3kit/core';
import { SeededRandom } from '@m3kit/core/testing';
import { M3Encoder } from '@m3kit/encoder';
import { backendFactory } from './backends/index.js';
import { fixed, peakRssMiB, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fixtures/tiny-m3' },
    backend: { type: 'string', default: 'exact' },
    documents: { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    'batch-documents': { type: 'string', default: '16' },
    'inference-thread': { type: 'string', default: 'worker' },
    'server-pid': { type: 'string', default: '' },
    memory: { type: 'boolean', default: false },
    'ingest-only': { type: 'boolean', default: false },
  },
});
const count = Number(values.documents);
// --rounds 0 skips the throughput runs (with --memory: memory only).
const rounds = Math.max(0, Number(values.rounds));
const batchDocuments = Math.max(1, Number(values['batch-documents']));
const serverPids = values['server-pid'].split(',').filter(Boolean).map(Number);
const chunking = resolveChunking({ maxTokens: 512, overlap: 64 });

/** Deterministic multilingual documents of 20-400 words, built from the bundled sample's words. */
function* documents(n: number): Generator<M3Document> {
  const sample = readFileSync(new URL('../../examples/data/sample.jsonl', import.meta.url), 'utf8');
  const words = sample
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => String(JSON.parse(line).text).split(/\s+/));
  const random = new SeededRandom(11);
  for (let i = 0; i < n; i++) {
    const length = random.int(20, 400);
    const text = Array.from({ length }, () => random.pick(words)).join(' ');
    yield { id: `bench-${i}`, text, metadata: { lang: 'mixed' } };
  }
}

/** CPU seconds (user + system) the given processes have used so far, from /proc (Linux). */
function serverCpuSeconds(): number {
  let ticks = 0;
  for (const pid of serverPids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // After "pid (comm) ", utime and stime are fields 12 and 13 (0-based); 100 ticks a second.
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

interface Measured {
  readonly seconds: number;
  readonly tokens: number;
  readonly chunks: number;
  readonly cpuSeconds: number;
  readonly serverCpuSeconds: number;
}

/** Runs `work` and measures its wall time, this process's CPU time (every thread) and the server's. */
async function measure(work: () => Promise<{ tokens: number; chunks: number }>): Promise<Measured> {
  const cpuBefore = process.cpuUsage();
  const serverBefore = serverCpuSeconds();
  const begin = performance.now();
  const { tokens, chunks } = await work();
  const seconds = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    seconds,
    tokens,
    chunks,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    serverCpuSeconds: serverCpuSeconds() - serverBefore,
  };
}

if (values['inference-thread'] !== 'worker' && values['inference-thread'] !== 'main')
  throw new Error('--inference-thread is worker or main');
const encoder = await M3Encoder.load(values.model, {
  threads: Number(values.threads),
  inferenceThread: values['inference-thread'],
});
const spec = withSyncFields({ name: `m3ingest_${count}`, denseDimension: encoder.denseDimension });

async function encodeOnly(all: readonly M3Document[]): Promise<{ tokens: number; chunks: number }> {
  let tokens = 0;
  let chunkCount = 0;
  for (let i = 0; i < all.length; i += batchDocuments) {
    const chunks = (
      await chunkDocuments(all.slice(i, i + batchDocuments), encoder, chunking)
    ).flat();
    await encoder.encode(
      chunks.map((c) => c.text),
      { maxLength: chunking.maxTokens },
    );
    tokens += chunks.reduce((n, c) => n + c.tokens, 0);
    chunkCount += chunks.length;
  }
  return { tokens, chunks: chunkCount };
}

/** ingest() into a fresh collection; its own report's time, so creating and dropping the collection is not counted. */
async function ingestOnce(): Promise<{ tokens: number; chunks: number; ingestSeconds: number }> {
  const backend = await backendFactory(values.backend);
  const store = await backend.createStore(spec);
  await store.ensureCollection();
  await store.drop();
  await store.ensureCollection();
  const report = await ingest(documents(count), { encoder, store, chunking, batchDocuments });
  await store.drop();
  await store.close();
  return { tokens: report.tokens, chunks: report.chunks, ingestSeconds: report.seconds };
}

if (values['ingest-only']) {
  // Peak RSS is the largest of many fluctuations (the garbage collector and allocators return
  // memory in their own time), so the typical level over the second half of the run is given too.
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(process.memoryUsage().rss / 2 ** 20), 200);
  const result = await ingestOnce();
  clearInterval(sampler);
  const steadyRssMiB = Math.round(percentile(samples.slice(Math.floor(samples.length / 2)), 50));
  console.log(JSON.stringify({ ...result, peakRssMiB: peakRssMiB(), steadyRssMiB }));
  await encoder.close();
  process.exit(0);
}

console.log(
  `corpus: ${count} generated documents of 20-400 words; model ${values.model}; ${values.threads} onnxruntime threads ` +
    `(${values['inference-thread']} thread); ` +
    `backend ${values.backend}; ${batchDocuments} documents a batch; ${rounds} round(s), medians shown${serverPids.length ? `; server pids ${serverPids.join(',')}` : ''}`,
);
if (rounds > 0) await compareThroughput();

if (values.memory) {
  const self = fileURLToPath(import.meta.url);
  for (const n of [count, count * 10]) {
    const output = execFileSync(
      process.execPath,
      [
        self,
        '--model',
        values.model,
        '--backend',
        values.backend,
        '--documents',
        String(n),
        '--threads',
        values.threads,
        '--batch-documents',
        String(batchDocuments),
        '--ingest-only',
      ],
      { encoding: 'utf8' },
    );
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
      peakRssMiB: number;
      steadyRssMiB: number;
      chunks: number;
      ingestSeconds: number;
    };
    console.log(
      `memory: ${n} documents (${result.chunks} chunks) streamed through ingest() in ${fixed(result.ingestSeconds)} s: ` +
        `peak RSS ${result.peakRssMiB} MiB, median RSS over the second half ${result.steadyRssMiB} MiB`,
    );
  }
}
await encoder.close();

/** Alternates the peer and the ingest `rounds` times and prints medians. */
async function compareThroughput(): Promise<void> {
  const all = [...documents(count)];
  // Warm up onnxruntime (first runs allocate and pick kernels) so neither run pays for it alone.
  await encoder.encode(
    all.slice(0, 4).map((d) => d.text ?? ''),
    { maxLength: chunking.maxTokens },
  );
  const peers: Measured[] = [];
  const ingests: Measured[] = [];
  for (let round = 0; round < rounds; round++) {
    peers.push(await measure(() => encodeOnly(all)));
    let ingestSeconds = 0;
    const measured = await measure(async () => {
      const result = await ingestOnce();
      ingestSeconds = result.ingestSeconds;
      return result;
    });
    ingests.push({ ...measured, seconds: ingestSeconds });
  }

  const median = (runs: readonly Measured[], pick: (run: Measured) => number): number =>
    percentile(runs.map(pick), 50);
  const rate = (runs: readonly Measured[]): number =>
    median(runs, (run) => run.tokens / run.seconds);
  const peerRate = rate(peers);
  console.log('| run | seconds | content tokens/s | ratio | CPU s, this process | CPU s, server |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [label, runs] of [
    ['chunk + encode only (peer)', peers],
    [`ingest() into ${values.backend}`, ingests],
  ] as const) {
    const server = serverPids.length ? fixed(median(runs, (run) => run.serverCpuSeconds)) : '-';
    console.log(
      `| ${label} | ${fixed(median(runs, (run) => run.seconds))} | ${fixed(rate(runs), 0)} | ${fixed(rate(runs) / peerRate, 2)} | ` +
        `${fixed(median(runs, (run) => run.cpuSeconds))} | ${server} |`,
    );
  }
  if (rounds > 1) {
    const ratios = ingests.map(
      (run, i) => run.tokens / run.seconds / (peers[i]!.tokens / peers[i]!.seconds),
    );
    console.log(`ratio per round: ${ratios.map((r) => fixed(r, 2)).join(', ')}`);
  }
}
