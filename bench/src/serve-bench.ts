#!/usr/bin/env node
// `m3 serve` benchmark (issue 15): the service runs in a child process (its own event loop, as in
// production); this process is the load generator (closed loop: N clients, each sending its next
// request when the last answer arrived, over kept-alive http.Agent connections). Each figure is
// printed beside a peer measured in the same run, in the server's process with the same encoder
// and store, without HTTP:
//
//   --part tiny  the tiny model + the exact store: POST /query latency at 1 client vs the same
//                query in process (encode + store.query), then 1/4/16/64 clients: throughput,
//                p50/p99, errors and the mean micro-batch.
//   --part full  a full-size random-weight BGE-M3 (bench/src/serve-bench-model.py): POST /embed of
//                short queries under 32 clients vs one-at-a-time encoding in process, and one
//                client's latency vs the encoder's own.
//
//   node bench/dist/serve-bench.js --part tiny --documents 300 --seconds 3
//   node bench/dist/serve-bench.js --part full --model .m3kit/full-m3 --requests 192
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ExactStore, ingest, withSyncFields, type M3Document, type Signal } from '@m3kit/core';
import { SeededRandom } from '@m3kit/core/testing';
import { M3Encoder } from '@m3kit/encoder';
import { createM3Server } from '@m3kit/server';
import { fixed, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    part: { type: 'string', default: 'tiny' },
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    documents: { type: 'string', default: '300' },
    clients: { type: 'string' },
    seconds: { type: 'string', default: '4' },
    requests: { type: 'string', default: '192' },
    'peer-queries': { type: 'string', default: '24' },
    'batch-wait-ms': { type: 'string' },
    'batch-texts': { type: 'string' },
    child: { type: 'boolean', default: false },
    outputs: { type: 'string', default: 'dense' },
  },
});

const WORDS = readFileSync(new URL('../../examples/data/sample.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .flatMap((line) => String(JSON.parse(line).text).split(/\s+/))
  .filter((word) => word.length > 0);

/** Short queries (3-8 words of the bundled multilingual sample), the same for every run. */
function queries(n: number, seed: number): string[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () =>
    Array.from({ length: random.int(3, 8) }, () => random.pick(WORDS)).join(' '),
  );
}

function* documents(n: number): Generator<M3Document> {
  const random = new SeededRandom(11);
  for (let i = 0; i < n; i++) {
    const text = Array.from({ length: random.int(20, 200) }, () => random.pick(WORDS)).join(' ');
    yield { id: `doc-${i}`, text, metadata: { lang: 'mixed' } };
  }
}

// ---------------------------------------------------------------- the server's process

type PeerCommand =
  | { kind: 'peer-query'; texts: string[] }
  | { kind: 'peer-encode'; texts: string[]; outputs: Signal[]; batch?: number }
  | { kind: 'metrics' };

async function child(): Promise<void> {
  const part = values.part;
  const model = values.model ?? 'fixtures/tiny-m3';
  const encoder = await M3Encoder.load(model, { threads: Number(values.threads) });
  const store = new ExactStore({
    collection: withSyncFields({ name: 'serve_bench', denseDimension: encoder.denseDimension }),
  });
  await store.ensureCollection();
  let chunks = 0;
  if (part === 'tiny') {
    const report = await ingest(documents(Number(values.documents)), { encoder, store });
    chunks = report.chunks;
  }
  const batching = {
    ...(values['batch-wait-ms'] !== undefined
      ? { maxWaitMs: Number(values['batch-wait-ms']) }
      : {}),
    ...(values['batch-texts'] !== undefined
      ? { maxBatchTexts: Number(values['batch-texts']) }
      : {}),
  };
  const server = await createM3Server({ encoder, stores: [store], batching });
  const address = await server.listen({ port: 0 });

  process.on('message', async (command: PeerCommand) => {
    if (command.kind === 'metrics') {
      const text = await server.metrics.registry.metrics();
      process.send!({ kind: 'metrics', text });
      return;
    }
    const latencies: number[] = [];
    const begin = performance.now();
    if (command.kind === 'peer-encode' && command.batch !== undefined) {
      // The ceiling of micro-batching: the same texts handed to the encoder `batch` at a time.
      let tokens = 0;
      for (let i = 0; i < command.texts.length; i += command.batch) {
        const started = performance.now();
        const encoded = await encoder.encode(command.texts.slice(i, i + command.batch), {
          dense: command.outputs.includes('dense'),
          sparse: command.outputs.includes('sparse'),
          colbert: command.outputs.includes('colbert'),
        });
        tokens += encoded.reduce((n, e) => n + e.tokenCount, 0);
        latencies.push(performance.now() - started);
      }
      const seconds = (performance.now() - begin) / 1000;
      process.send!({ kind: 'peer', latencies, seconds, tokens });
      return;
    }
    for (const text of command.texts) {
      const started = performance.now();
      if (command.kind === 'peer-query') {
        const [encoded] = await encoder.encode([text]);
        const { tokenCount: _t, truncated: _u, ...embedding } = encoded!;
        await store.query({
          embedding,
          signals: store.collection.signals,
          fusion: { kind: 'weighted' },
          topK: 10,
          includeText: true,
          includeMetadata: true,
        });
      } else {
        await encoder.encode([text], {
          dense: command.outputs.includes('dense'),
          sparse: command.outputs.includes('sparse'),
          colbert: command.outputs.includes('colbert'),
        });
      }
      latencies.push(performance.now() - started);
    }
    process.send!({ kind: 'peer', latencies, seconds: (performance.now() - begin) / 1000 });
  });
  process.on('disconnect', () => {
    void server.close().then(async () => {
      await store.close();
      await encoder.close();
      process.exit(0);
    });
  });
  process.send!({ kind: 'ready', address, chunks });
}

// ---------------------------------------------------------------- the load generator

interface LoadResult {
  readonly clients: number;
  readonly completed: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly firstError?: string;
}

/** Closed-loop load: `clients` loops, each with its next request once the previous one answered. */
async function load(
  base: string,
  path: string,
  bodies: readonly string[],
  clients: number,
  stop: { readonly requests?: number; readonly seconds?: number },
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const url = new URL(path, base);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const begin = performance.now();
  const deadline = stop.seconds !== undefined ? begin + stop.seconds * 1000 : Infinity;
  const more = (): boolean =>
    (stop.requests === undefined || issued < stop.requests) && performance.now() < deadline;
  const one = (body: string): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now();
      const request = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () => {
            // Parse as a client would: the answer's size is part of what the service costs.
            const text = Buffer.concat(parts).toString('utf8');
            if (response.statusCode === 200) {
              JSON.parse(text);
              latencies.push(performance.now() - started);
            } else {
              errors++;
              firstError ??= `${response.statusCode} ${text.slice(0, 200)}`;
            }
            resolve();
          });
        },
      );
      request.on('error', (error) => {
        errors++;
        firstError ??= error.message;
        resolve();
      });
      request.end(body);
    });
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (more()) {
        const body = bodies[issued++ % bodies.length]!;
        await one(body);
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  agent.destroy();
  return {
    clients,
    completed: latencies.length,
    errors,
    seconds,
    latencies,
    ...(firstError ? { firstError } : {}),
  };
}

function ask<T>(server: ChildProcess, command: PeerCommand): Promise<T> {
  return new Promise((resolve) => {
    server.once('message', (reply) => resolve(reply as T));
    server.send(command);
  });
}

interface Peer {
  readonly latencies: number[];
  readonly seconds: number;
  readonly tokens?: number;
}

/** Mean texts per encoder call since the last reading, from the server's own /metrics registry. */
async function batchSizes(server: ChildProcess): Promise<{ sum: number; count: number }> {
  const { text } = await ask<{ text: string }>(server, { kind: 'metrics' });
  const read = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: read('m3_encoder_batch_texts_sum'), count: read('m3_encoder_batch_texts_count') };
}

function machine(): string {
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  const simd = ['avx512_vnni', 'avx512f', 'avx2'].filter((f) => flags.includes(` ${f}`));
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'} (${simd.join(', ')}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

function row(label: string, result: LoadResult, batch?: number): string {
  return (
    `${label.padEnd(12)} ${String(result.completed).padStart(6)} ok ${String(result.errors).padStart(4)} errors ` +
    `${fixed(result.completed / result.seconds, 1).padStart(8)} req/s  p50 ${fixed(percentile(result.latencies, 50), 2).padStart(8)} ms` +
    `  p99 ${fixed(percentile(result.latencies, 99), 2).padStart(8)} ms` +
    (batch !== undefined ? `  mean batch ${fixed(batch, 1)} texts` : '') +
    (result.firstError ? `  first error: ${result.firstError}` : '')
  );
}

async function main(): Promise<void> {
  const part = values.part;
  if (part !== 'tiny' && part !== 'full') throw new Error('--part is tiny or full');
  if (part === 'full' && !values.model)
    throw new Error(
      '--part full needs --model DIR (python bench/src/serve-bench-model.py --out DIR)',
    );
  console.log(`machine: ${machine()}`);
  const args = process.argv.slice(2).filter((a) => a !== '--child');
  const server = fork(new URL(import.meta.url), [...args, '--child'], { stdio: 'inherit' });
  const ready = await new Promise<{ address: string; chunks: number }>((resolve, reject) => {
    server.once('message', (m) => resolve(m as { address: string; chunks: number }));
    server.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
  });
  const base = ready.address;
  const peerQueries = Number(values['peer-queries']);
  try {
    if (part === 'tiny') {
      console.log(
        `tiny model, exact store: ${values.documents} documents = ${ready.chunks} chunks; /query text, all signals, weighted, top 10`,
      );
      const texts = queries(256, 5);
      const bodies = texts.map((text) => JSON.stringify({ text, top_k: 10 }));
      await load(base, '/query', bodies, 4, { requests: 64 }); // warm-up: JIT, sockets
      // Service and in-process alternating in rounds: the shared machine's load drifts.
      const peerLatencies: number[] = [];
      const serviceLatencies: number[] = [];
      for (let r = 0; r < 4; r++) {
        const slice = texts.slice(r * 25, (r + 1) * 25);
        const peer = await ask<Peer>(server, { kind: 'peer-query', texts: slice });
        peerLatencies.push(...peer.latencies);
        const single = await load(base, '/query', bodies.slice(r * 25, (r + 1) * 25), 1, {
          requests: 25,
        });
        serviceLatencies.push(...single.latencies);
        if (single.errors > 0) console.log(row('1 client', single));
      }
      const peerP50 = percentile(peerLatencies, 50);
      const p50 = percentile(serviceLatencies, 50);
      console.log(
        `/query, 1 client (${serviceLatencies.length} each, alternating): p50 ${fixed(p50, 2)} ms (goal <= 15), p99 ${fixed(percentile(serviceLatencies, 99), 2)} ms; ` +
          `in process (encode + store.query) p50 ${fixed(peerP50, 2)} ms: ${fixed(p50 / peerP50, 2)}x`,
      );
      const levels = (values.clients ?? '1,4,16,64').split(',').map(Number);
      const seconds = Number(values.seconds);
      for (const clients of levels) {
        const before = await batchSizes(server);
        const result = await load(base, '/query', bodies, clients, { seconds });
        const after = await batchSizes(server);
        console.log(
          row(
            `${clients} clients`,
            result,
            (after.sum - before.sum) / Math.max(1, after.count - before.count),
          ),
        );
      }
    } else {
      const outputs = values.outputs.split(',') as Signal[];
      const body = (text: string): string =>
        JSON.stringify({
          sentences: text,
          return_dense: outputs.includes('dense'),
          return_sparse: outputs.includes('sparse'),
          return_colbert_vecs: outputs.includes('colbert'),
        });
      const texts = queries(512, 7);
      const bodies = texts.map(body);
      console.log(
        `full-size random-weight model (${values.model}), ${values.threads} encoder threads; /embed of one short query a request, outputs ${outputs.join('+')}`,
      );
      await ask<Peer>(server, { kind: 'peer-encode', texts: texts.slice(0, 4), outputs }); // warm-up
      await load(base, '/embed', bodies, 4, { requests: 8 });
      // One at a time, service and encoder alternating in rounds: the machine's load drifts.
      const peerLatencies: number[] = [];
      const serviceLatencies: number[] = [];
      let peerSeconds = 0;
      const rounds = 4;
      const perRound = Math.max(1, Math.round(peerQueries / rounds));
      for (let r = 0; r < rounds; r++) {
        const slice = texts.slice(r * perRound, (r + 1) * perRound);
        const peer = await ask<Peer>(server, { kind: 'peer-encode', texts: slice, outputs });
        peerLatencies.push(...peer.latencies);
        peerSeconds += peer.seconds;
        const single = await load(base, '/embed', slice.map(body), 1, { requests: slice.length });
        serviceLatencies.push(...single.latencies);
        if (single.errors > 0) console.log(row('1 client', single));
      }
      const peerP50 = percentile(peerLatencies, 50);
      const p50 = percentile(serviceLatencies, 50);
      console.log(
        `one query at a time (${peerLatencies.length} each, alternating): service p50 ${fixed(p50, 1)} ms vs encoder in process p50 ${fixed(peerP50, 1)} ms: ${fixed(p50 / peerP50, 3)}x (goal <= 1.2)`,
      );
      const requests = Number(values.requests);
      const before = await batchSizes(server);
      const loaded = await load(base, '/embed', bodies, 32, { requests });
      const after = await batchSizes(server);
      const meanBatch = (after.sum - before.sum) / Math.max(1, after.count - before.count);
      // The most micro-batching can give on this machine: the encoder fed 32 texts a call.
      const ceiling = await ask<Peer>(server, {
        kind: 'peer-encode',
        texts: texts.slice(0, Math.min(requests, 96)),
        outputs,
        batch: 32,
      });
      const peerRate = peerLatencies.length / peerSeconds;
      const ceilingRate = Math.min(requests, 96) / ceiling.seconds;
      const rate = loaded.completed / loaded.seconds;
      console.log(
        `queries: ${fixed((ceiling.tokens ?? 0) / Math.min(requests, 96), 1)} tokens on average (<s> and </s> included)`,
      );
      console.log(row('32 clients', loaded, meanBatch));
      console.log(
        `32 clients: ${fixed(rate, 2)} req/s vs one-at-a-time encoding ${fixed(peerRate, 2)} texts/s: ${fixed(rate / peerRate, 2)}x (goal >= 3); ` +
          `the encoder fed 32 texts a call in process: ${fixed(ceilingRate, 2)} texts/s (${fixed(ceilingRate / peerRate, 2)}x one at a time, the ceiling; the service reaches ${fixed(rate / ceilingRate, 2)} of it)`,
      );
    }
    console.log(
      `load average after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    server.disconnect();
  }
}

if (values.child) await child();
else await main();
