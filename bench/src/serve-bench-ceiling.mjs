#!/usr/bin/env node
// The micro-batching ceiling of issue 15, in process, no HTTP: how many short queries a second
// the full-size model encodes one at a time vs in batches of 8/16/32 (equal and mixed token
// lengths), under onnxruntime session options. It answers what limits batching on this CPU:
// at batch 1 every run streams the ~1.2 GB of transformer weights from memory for ~12 tokens of
// compute; at batch 32 the same read is shared by 32 rows and the run is compute-bound.
//
//   node bench/src/serve-bench-ceiling.mjs --model .m3kit/full-m3 [--texts 64] [--part all]
//
// Plain ESM (no build): it drives onnxruntime-node directly for the session options the encoder
// does not expose, and @m3kit/encoder for the whole encode path. Throughput is texts a second;
// every ratio is against one-at-a-time in the same configuration, measured in the same run.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: '.m3kit/full-m3' },
    texts: { type: 'string', default: '64' },
    part: { type: 'string', default: 'all' },
  },
});
const TEXTS = Number(values.texts);
process.env.ORT_DISABLE_TELEMETRY ??= '1';

/** Deterministic pseudo-random ids: compute does not depend on them, the gather does not care. */
function ids(length, seed) {
  const row = new BigInt64Array(length);
  let x = seed * 2654435761;
  row[0] = 0n;
  for (let i = 1; i < length - 1; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    row[i] = BigInt(4 + (x % 250000));
  }
  row[length - 1] = 2n;
  return row;
}

/**
 * Token lengths (special tokens included) of short queries: `equal` all 14; `mixed` spread over
 * 7-22 in arrival order (each batch padded to ~22); `bucketed` the same lengths sorted, so a
 * batch holds neighbours (what length-bucketed micro-batches do).
 */
function lengths(kind, n) {
  if (kind === 'equal') return Array.from({ length: n }, () => 14);
  const spread = Array.from({ length: n }, (_, i) => 7 + ((i * 7) % 16));
  return kind === 'bucketed' ? spread.sort((a, b) => a - b) : spread;
}

function feeds(rows) {
  const longest = Math.max(...rows.map((r) => r.length));
  const inputIds = new BigInt64Array(rows.length * longest).fill(1n);
  const mask = new BigInt64Array(rows.length * longest);
  rows.forEach((row, r) => {
    inputIds.set(row, r * longest);
    mask.fill(1n, r * longest, r * longest + row.length);
  });
  const dims = [rows.length, longest];
  return {
    input_ids: new ort.Tensor('int64', inputIds, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
  };
}

/** Texts a second through `sessions` (round-robin, in parallel when more than one), `batch` a run. */
async function rate(sessions, kind, batch) {
  const all = lengths(kind, TEXTS).map((length, i) => ids(length, i + 1));
  const batches = [];
  for (let i = 0; i < all.length; i += batch) batches.push(all.slice(i, i + batch));
  const begin = performance.now();
  const lanes = sessions.map(async (session, lane) => {
    for (let b = lane; b < batches.length; b += sessions.length)
      await session.run(feeds(batches[b]), ['dense_vecs']);
  });
  await Promise.all(lanes);
  return TEXTS / ((performance.now() - begin) / 1000);
}

function options(overrides) {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    intraOpNumThreads: 2,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...overrides,
  };
}

const onnxFile = join(values.model, 'model.onnx');

async function sessionTable() {
  const configs = [
    ['intra 2 (encoder default)', [options({})]],
    ['intra 1', [options({ intraOpNumThreads: 1 })]],
    ['intra 2, spinning on', [options({ extra: {} })]],
    ['intra 2, no memory arena', [options({ enableCpuMemArena: false })]],
    ['intra 2, graph opt basic', [options({ graphOptimizationLevel: 'basic' })]],
    ['intra 2, parallel, inter 2', [options({ executionMode: 'parallel', interOpNumThreads: 2 })]],
    [
      '2 sessions x intra 1',
      [options({ intraOpNumThreads: 1 }), options({ intraOpNumThreads: 1 })],
    ],
  ];
  console.log(
    `raw onnxruntime ${ort.env.versions?.common ?? ''}, ${TEXTS} texts a cell, texts/s (x one at a time, same config)`,
  );
  console.log(
    'config                         | kind     |   b=1 |   b=8        |  b=16        |  b=32',
  );
  for (const [index, [label, sessionOptions]] of configs.entries()) {
    const sessions = [];
    for (const o of sessionOptions) sessions.push(await ort.InferenceSession.create(onnxFile, o));
    await rate(sessions, 'equal', 8); // warm-up: arena, kernels
    if (index === 0) await runCost(sessions[0]);
    // The whole grid for the default; the other options at batch 1 and 32 of equal lengths.
    const kinds = index === 0 ? ['equal', 'mixed', 'bucketed'] : ['equal'];
    const sizes = index === 0 ? [8, 16, 32] : [32];
    for (const kind of kinds) {
      const one = await rate(sessions, kind, 1);
      const cells = [];
      for (const batch of sizes) {
        const r = await rate(sessions, kind, batch);
        cells.push(`b=${batch} ${r.toFixed(2).padStart(6)} (${(r / one).toFixed(2)}x)`);
      }
      console.log(
        `${label.padEnd(30)} | ${kind.padEnd(8)} | b=1 ${one.toFixed(2).padStart(5)} | ${cells.join(' | ')}`,
      );
    }
    for (const s of sessions) await s.release();
  }
}

/**
 * What one run costs as a function of its padded tokens: T = fixed + perToken x tokens. `fixed`
 * is what batching shares (weights streamed from memory, kernel launches, the heads); perToken is
 * compute, which no batch size removes. The ceiling of batch B of L tokens follows from both.
 */
async function runCost(session) {
  const shapes = [
    [1, 3],
    [1, 14],
    [4, 14],
    [32, 14],
  ];
  const points = [];
  for (const [batch, length] of shapes) {
    const rows = Array.from({ length: batch }, (_, i) => ids(length, i + 1));
    const repeats = batch === 32 ? 2 : 6;
    const times = [];
    for (let r = 0; r < repeats; r++) {
      const begin = performance.now();
      await session.run(feeds(rows), ['dense_vecs']);
      times.push(performance.now() - begin);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    points.push([batch * length, ms]);
    console.log(`one run, ${batch} x ${length} tokens: median ${ms.toFixed(1)} ms of ${repeats}`);
  }
  // Least squares over the four points.
  const n = points.length;
  const sx = points.reduce((a, [x]) => a + x, 0);
  const sy = points.reduce((a, [, y]) => a + y, 0);
  const sxx = points.reduce((a, [x]) => a + x * x, 0);
  const sxy = points.reduce((a, [x, y]) => a + x * y, 0);
  const perToken = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const fixed = (sy - perToken * sx) / n;
  const ceiling = (batch, length) =>
    (fixed + perToken * length) / (fixed / batch + perToken * length);
  console.log(
    `fit: ${fixed.toFixed(1)} ms a run + ${perToken.toFixed(2)} ms a token; ceiling of batch 32 over batch 1 at 14 tokens: ${ceiling(32, 14).toFixed(2)}x (3x would need a run's fixed cost >= ${((2 * 14 * perToken) / (1 - 3 / 32)).toFixed(0)} ms)`,
  );
}

async function encoderTable() {
  const { M3Encoder } = await import('@m3kit/encoder');
  const words = readFileSync(new URL('../../examples/data/sample.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => String(JSON.parse(line).text).split(/\s+/))
    .filter(Boolean);
  let seed = 7;
  const pick = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const texts = Array.from({ length: TEXTS }, () =>
    Array.from({ length: 3 + (pick() % 6) }, () => words[pick() % words.length]).join(' '),
  );
  for (const inferenceThread of ['worker', 'main']) {
    const encoder = await M3Encoder.load(values.model, { threads: 2, inferenceThread });
    const tokens = (await encoder.tokenize(texts)).map((t) => t.ids.length);
    await encoder.encode(texts.slice(0, 8), { sparse: false, colbert: false });
    const run = async (batch, outputs) => {
      const begin = performance.now();
      for (let i = 0; i < texts.length; i += batch)
        await encoder.encode(texts.slice(i, i + batch), outputs);
      return texts.length / ((performance.now() - begin) / 1000);
    };
    for (const [name, outputs] of [
      ['dense', { sparse: false, colbert: false }],
      ['all three', {}],
    ]) {
      const one = await run(1, outputs);
      const cells = [];
      for (const batch of [8, 16, 32]) {
        const r = await run(batch, outputs);
        cells.push(`${r.toFixed(2)} (${(r / one).toFixed(2)}x)`);
      }
      console.log(
        `M3Encoder.encode, ${inferenceThread} thread, ${name}, sample queries (${Math.min(...tokens)}-${Math.max(...tokens)} tokens, mean ${(tokens.reduce((a, b) => a + b, 0) / tokens.length).toFixed(1)}): b=1 ${one.toFixed(2)} texts/s | b=8/16/32 ${cells.join(' | ')}`,
      );
    }
    await encoder.close();
  }
}

const simd = ['avx512_vnni', 'avx512f', 'avx2'].filter((f) =>
  readFileSync('/proc/cpuinfo', 'utf8').includes(` ${f}`),
);
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model} (${simd.join(', ')}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (values.part === 'all' || values.part === 'encoder') await encoderTable();
if (values.part === 'all' || values.part === 'sessions') await sessionTable();
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
