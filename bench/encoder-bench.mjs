#!/usr/bin/env node
// Encoder benchmark: m3kit against FlagEmbedding (PyTorch fp32) and Python onnxruntime, in one run,
// on one mixed-length corpus (short queries up to ~2,000-token passages), with the same threads.
//
//   npm run build -w @m3kit/core -w @m3kit/encoder
//   python tools/make_tiny_m3.py --size full --out /tmp/full-m3        # random weights, real shapes
//   node bench/encoder-bench.mjs --model /tmp/full-m3 --threads 2 --python /work/venvs/tools/bin/python
//
// Options: --engines m3kit,m3kit-all-heads,m3kit-int8,flagembedding,onnxruntime  --batch-tokens N (m3kit)
//          --batch-size N (FlagEmbedding and Python onnxruntime, default 8; per engine: flagembedding@1)
//          --scale F (corpus size)  --graph FILE (m3kit: another graph in the model directory)
//          m3kit-int8 loads onnx/model_int8.onnx (packages/encoder/scripts/quantize_int8.py).
// Each engine runs in its own process (peak RSS is its own): load, one warm-up query, the median of
// five single-query latencies, then the corpus once. Prints passages/s, tokens/s, peak RSS,
// single-query latency and the ratios to FlagEmbedding; m3kit also reports the share of wall time
// spent tokenising and post-processing.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    engines: { type: 'string', default: 'm3kit,flagembedding,onnxruntime' },
    python: { type: 'string', default: process.env.M3KIT_PYTHON ?? 'python3' },
    'batch-tokens': { type: 'string', default: '16384' },
    'batch-size': { type: 'string', default: '8' },
    scale: { type: 'string', default: '1' },
    graph: { type: 'string' },
    child: { type: 'string' },
    corpus: { type: 'string' },
  },
});
if (!args.model) {
  console.error(
    'usage: node bench/encoder-bench.mjs --model DIR [--threads N] [--engines ...] [--python PATH]',
  );
  process.exit(2);
}

if (args.child) {
  await runM3kit();
} else {
  await drive();
}

/** The m3kit side, in a child process: same protocol as bench/encoder_bench.py. */
async function runM3kit() {
  const { M3Encoder } = await import('@m3kit/encoder');
  const { texts, query } = JSON.parse(readFileSync(args.corpus, 'utf8'));
  const started = performance.now();
  const source =
    args.child === 'm3kit-all-heads' ? join(args.model, 'm3kit', 'model.onnx') : args.model;
  const graph = args.child === 'm3kit-int8' ? 'onnx/model_int8.onnx' : args.graph;
  const encoder = await M3Encoder.load(source, {
    threads: Number(args.threads),
    batchTokens: Number(args['batch-tokens']),
    ...(graph ? { onnxFile: graph } : {}),
  });
  const loadSeconds = (performance.now() - started) / 1000;
  await encoder.encode([query]);
  const latencies = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await encoder.encode([query]);
    latencies.push(performance.now() - t0);
  }
  let last;
  const t0 = performance.now();
  const results = await encoder.encode(texts, { onProgress: (event) => (last = event) });
  const corpusSeconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      engine: args.child,
      threads: Number(args.threads),
      batch_tokens: Number(args['batch-tokens']),
      load_s: loadSeconds,
      query_ms: latencies[2],
      corpus_s: corpusSeconds,
      texts: texts.length,
      tokens: results.reduce((sum, result) => sum + result.tokenCount, 0),
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      tokenize_ms: last.tokenizeMs,
      inference_ms: last.inferenceMs,
      post_process_ms: last.postProcessMs,
    }),
  );
  await encoder.close();
}

async function drive() {
  const corpus = await buildCorpus(Number(args.scale));
  const folder = mkdtempSync(join(tmpdir(), 'm3kit-encoder-bench-'));
  const corpusFile = join(folder, 'corpus.json');
  writeFileSync(corpusFile, JSON.stringify(corpus));
  const lengths = corpus.lengths;
  console.log(
    `corpus: ${corpus.texts.length} texts, ${lengths.reduce((a, b) => a + b, 0)} tokens ` +
      `(min ${Math.min(...lengths)}, max ${Math.max(...lengths)}); query ${corpus.queryTokens} tokens; threads ${args.threads}`,
  );

  const rows = [];
  for (const spec of args.engines.split(',')) {
    const [engine, batchSize = args['batch-size']] = spec.split('@');
    const command = engine.startsWith('m3kit')
      ? [
          process.execPath,
          [
            fileURLToPath(import.meta.url),
            '--child',
            engine,
            '--model',
            args.model,
            '--corpus',
            corpusFile,
            '--threads',
            args.threads,
            '--batch-tokens',
            args['batch-tokens'],
            ...(args.graph ? ['--graph', args.graph] : []),
          ],
        ]
      : [
          args.python,
          [
            join(here, 'encoder_bench.py'),
            '--engine',
            engine,
            '--model',
            args.model,
            '--corpus',
            corpusFile,
            '--threads',
            args.threads,
            '--batch-size',
            batchSize,
          ],
        ];
    process.stderr.write(`running ${engine} ...\n`);
    const child = spawnSync(command[0], command[1], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, TOKENIZERS_PARALLELISM: 'true' },
    });
    const line = child.stdout
      .trim()
      .split('\n')
      .filter((text) => text.startsWith('{'))
      .at(-1);
    if (child.status !== 0 || !line) {
      console.error(`${engine} failed (exit ${child.status}):\n${child.stderr.slice(-3000)}`);
      continue;
    }
    const row = JSON.parse(line);
    if (row.batch_size !== undefined) row.engine = `${row.engine} (batch ${row.batch_size})`;
    rows.push(row);
  }

  // The peer is FlagEmbedding at its best batch size in this run (highest tokens/s); its latency
  // is one text per call whatever the batch size, the best of its rows is taken too.
  const flagRows = rows.filter((row) => row.engine.startsWith('flagembedding'));
  const peer =
    flagRows.length === 0
      ? undefined
      : {
          tokens: 1,
          corpus_s: Math.min(...flagRows.map((row) => row.corpus_s / row.tokens)),
          query_ms: Math.min(...flagRows.map((row) => row.query_ms)),
        };
  console.log(
    '\n| engine | load s | passages/s | tokens/s | peak RSS MB | query ms | throughput vs best FlagEmbedding | latency vs best FlagEmbedding |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const tokensPerSecond = row.tokens / row.corpus_s;
    const throughputRatio = peer
      ? `${(tokensPerSecond / (peer.tokens / peer.corpus_s)).toFixed(2)}x`
      : 'n/a';
    const latencyRatio = peer ? `${(row.query_ms / peer.query_ms).toFixed(2)}x` : 'n/a';
    console.log(
      `| ${row.engine} | ${row.load_s.toFixed(1)} | ${(row.texts / row.corpus_s).toFixed(2)} | ${tokensPerSecond.toFixed(0)} | ` +
        `${row.peak_rss_mb.toFixed(0)} | ${row.query_ms.toFixed(0)} | ${throughputRatio} | ${latencyRatio} |`,
    );
  }
  for (const row of rows.filter((r) => r.tokenize_ms !== undefined)) {
    const share = (row.tokenize_ms + row.post_process_ms) / (row.corpus_s * 1000);
    console.log(
      `${row.engine}: tokenising ${row.tokenize_ms.toFixed(0)} ms + post-processing ${row.post_process_ms.toFixed(0)} ms ` +
        `= ${(share * 100).toFixed(2)}% of the corpus wall time (onnxruntime ${row.inference_ms.toFixed(0)} ms)`,
    );
  }
  console.log(
    `\n${JSON.stringify({ corpus: { texts: corpus.texts.length, tokens: lengths.reduce((a, b) => a + b, 0) }, rows })}`,
  );
}

/**
 * A deterministic mixed-length corpus from the multilingual fixture sentences: 8 queries of ~16
 * tokens and passages of ~120, ~400, ~900 and ~2,000 tokens, measured with the model's tokenizer.
 */
async function buildCorpus(scale) {
  const { default: tokenizers } = await import('tokenizers');
  const tokenizer = tokenizers.Tokenizer.fromFile(join(args.model, 'tokenizer.json'));
  const fixture = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'texts.json'), 'utf8'));
  const sentences = fixture.texts
    .filter(
      (entry) =>
        typeof entry.text === 'string' &&
        entry.text.length > 15 &&
        // biome-ignore lint/suspicious/noControlCharactersInRegex: drops texts with control characters or lone surrogates on purpose.
        !/[\u0000-\u0008\ud800-\udfff]/.test(entry.text),
    )
    .map((entry) => entry.text);
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const count = async (text) => (await tokenizer.encode(text)).getLength();
  const make = async (target) => {
    let text = '';
    while ((await count(text)) < target)
      text += (text ? ' ' : '') + sentences[Math.floor(next() * sentences.length)];
    return text;
  };
  const plan = [
    [8, 16],
    [12, 120],
    [6, 400],
    [3, 900],
    [1, 2000],
  ];
  const texts = [];
  for (const [howMany, target] of plan) {
    for (let i = 0; i < Math.max(1, Math.round(howMany * scale)); i++)
      texts.push(await make(target));
  }
  // Shuffle so that nothing arrives sorted.
  for (let i = texts.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [texts[i], texts[j]] = [texts[j], texts[i]];
  }
  const lengths = [];
  for (const text of texts) lengths.push(await count(text));
  const query = 'What is the capital of France and how many people live there?';
  return { texts, query, lengths, queryTokens: await count(query) };
}
