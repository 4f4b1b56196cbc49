import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import tokenizers from 'tokenizers';
import { AbortedError, InvalidInputError, m3Score } from '@m3kit/core';
import { InferenceError } from './errors/inference-error.js';
import { M3Encoder } from './m3-encoder.js';
import {
  copyTinyModelFiles,
  temporaryDirectory,
  writeExternalDataGraph,
} from './test-support/synthetic-model.js';
import type { M3EncodedText, EncodeProgress } from './m3-encoder.js';
import {
  TINY_ALL_HEADS,
  TINY_MODEL,
  fixturePairs,
  fixtureTexts,
  maxAbsDiff,
  referenceEncodings,
  referenceScores,
} from './test-support/fixtures.js';

const texts = fixtureTexts();
const textById = new Map(texts.map((entry) => [entry.id, entry.text]));

// The parity bars against FlagEmbedding (fp32, CPU).
const DENSE_TOLERANCE = 1e-5;
const COLBERT_TOLERANCE = 2e-5;
const LEXICAL_TOLERANCE = 1e-5;
const SCORE_TOLERANCE = 1e-5;

/** Worst differences over all texts, reported in the README. */
function compare(outputs: readonly M3EncodedText[], maxLength: 8192 | 32) {
  const reference = referenceEncodings(maxLength);
  let dense = 0;
  let colbert = 0;
  let lexical = 0;
  const problems: string[] = [];
  reference.forEach((expected, index) => {
    const actual = outputs[index]!;
    if (actual.tokenCount !== expected.inputIds.length)
      problems.push(
        `${expected.id}: ${actual.tokenCount} tokens, reference ${expected.inputIds.length}`,
      );
    dense = Math.max(dense, maxAbsDiff(actual.dense!, expected.dense));
    if (
      actual.colbert!.rows !== expected.colbert.rows ||
      actual.colbert!.dim !== expected.colbert.dim
    ) {
      problems.push(
        `${expected.id}: ColBERT ${actual.colbert!.rows}x${actual.colbert!.dim}, reference ${expected.colbert.rows}x${expected.colbert.dim}`,
      );
    }
    colbert = Math.max(colbert, maxAbsDiff(actual.colbert!.data, expected.colbert.data));
    if (
      Array.from(actual.lexical!.indices).join() !== Array.from(expected.lexical.indices).join()
    ) {
      problems.push(`${expected.id}: lexical keys differ`);
    }
    lexical = Math.max(lexical, maxAbsDiff(actual.lexical!.values, expected.lexical.values));
  });
  return { dense, colbert, lexical, problems };
}

describe.each([
  ['official layout (onnx/model.onnx + .pt heads)', TINY_MODEL, 'official'],
  ['all-heads ONNX', TINY_ALL_HEADS, 'all-heads'],
] as const)('parity with FlagEmbedding: %s', (_name, source, layout) => {
  let encoder: M3Encoder;
  const outputs = new Map<number, M3EncodedText[]>();

  beforeAll(async () => {
    encoder = await M3Encoder.load(source, { threads: 1 });
    for (const maxLength of [8192, 32] as const) {
      outputs.set(
        maxLength,
        await encoder.encode(
          texts.map((entry) => entry.text),
          { maxLength },
        ),
      );
    }
  }, 120_000);
  afterAll(() => encoder?.close());

  it('detects the layout and reads the model shape', () => {
    expect(encoder.layout).toBe(layout);
    expect(encoder.denseDimension).toBe(32);
    expect(encoder.colbertDimension).toBe(32);
    expect(encoder.maxLength).toBe(8192);
    expect(encoder.specificationVersion).toBe('v1');
  });

  it.each([8192, 32] as const)(
    'matches dense, ColBERT and lexical weights at max_length %i',
    (maxLength) => {
      const result = compare(outputs.get(maxLength)!, maxLength);
      expect(result.problems).toEqual([]);
      expect(result.dense).toBeLessThanOrEqual(DENSE_TOLERANCE);
      expect(result.colbert).toBeLessThanOrEqual(COLBERT_TOLERANCE);
      expect(result.lexical).toBeLessThanOrEqual(LEXICAL_TOLERANCE);
      console.info(
        `[parity ${layout} L=${maxLength}] dense ${result.dense.toExponential(2)}, colbert ${result.colbert.toExponential(2)}, lexical ${result.lexical.toExponential(2)}`,
      );
    },
  );

  it('reports truncation per text', () => {
    const at32 = outputs.get(32)!;
    const at8192 = outputs.get(8192)!;
    const index = (id: string) => texts.findIndex((entry) => entry.id === id);
    expect(at32[index('en-paragraph')]!.truncated).toBe(true);
    expect(at32[index('en-paragraph')]!.tokenCount).toBe(32);
    expect(at8192[index('en-paragraph')]!.truncated).toBe(false);
    expect(at8192[index('long')]!.truncated).toBe(true);
    expect(at8192[index('long')]!.tokenCount).toBe(8192);
    expect(at32[index('en-query')]!.truncated).toBe(false);
  });

  it("gives compute_score's numbers through core's m3Score", () => {
    const idIndex = new Map(texts.map((entry, index) => [entry.id, index]));
    // compute_score encodes queries at max_query_length 32 and passages at 8192.
    const queries = outputs.get(32)!;
    const passages = outputs.get(8192)!;
    for (const expected of referenceScores()) {
      const query = queries[idIndex.get(expected.query)!]!;
      const passage = passages[idIndex.get(expected.passage)!]!;
      const scores = m3Score(query, passage, {
        weights: { dense: 0.4, sparse: 0.2, colbert: 0.4 },
      });
      const label = `${expected.query} -> ${expected.passage}`;
      expect(Math.abs(scores.dense! - expected.compute_score['dense']!), label).toBeLessThanOrEqual(
        SCORE_TOLERANCE,
      );
      expect(
        Math.abs(scores.sparse! - expected.compute_score['sparse']!),
        label,
      ).toBeLessThanOrEqual(SCORE_TOLERANCE);
      expect(
        Math.abs(scores.colbert! - expected.compute_score['colbert']!),
        label,
      ).toBeLessThanOrEqual(SCORE_TOLERANCE);
      expect(
        Math.abs(scores.combined - expected.compute_score['colbert+sparse+dense']!),
        label,
      ).toBeLessThanOrEqual(SCORE_TOLERANCE);
      const sparseDense = m3Score(query, passage, {
        signals: ['sparse', 'dense'],
        weights: { dense: 0.4, sparse: 0.2 },
      });
      expect(
        Math.abs(sparseDense.combined - expected.compute_score['sparse+dense']!),
        label,
      ).toBeLessThanOrEqual(SCORE_TOLERANCE);
    }
    expect(referenceScores().length).toBe(fixturePairs().length);
  });
});

describe('M3Encoder behaviour', () => {
  let encoder: M3Encoder;
  beforeAll(async () => {
    encoder = await M3Encoder.load(TINY_MODEL, { threads: 1, maxLength: 64 });
  });
  afterAll(() => encoder?.close());

  const sample = [
    'BGE M3 is an embedding model.',
    '信息检索',
    '',
    'search search search engine',
    'Grüße aus München!',
  ];

  it('computes only the outputs asked for, with the same values', async () => {
    const all = await encoder.encode(sample);
    const denseOnly = await encoder.encode(sample, { sparse: false, colbert: false });
    const lexicalOnly = await encoder.encode(sample, { dense: false, colbert: false });
    const none = await encoder.encode(sample, { dense: false, sparse: false, colbert: false });
    denseOnly.forEach((result, index) => {
      expect(result.lexical).toBeUndefined();
      expect(result.colbert).toBeUndefined();
      expect(maxAbsDiff(result.dense!, all[index]!.dense!)).toBeLessThan(1e-6);
    });
    lexicalOnly.forEach((result, index) => {
      expect(result.dense).toBeUndefined();
      expect(Array.from(result.lexical!.indices)).toEqual(Array.from(all[index]!.lexical!.indices));
    });
    expect(none.map((result) => result.tokenCount)).toEqual(all.map((result) => result.tokenCount));
    expect(none.every((result) => result.dense === undefined && result.lexical === undefined)).toBe(
      true,
    );
  });

  it('gives each text the same outputs whatever the batching, order restored', async () => {
    const alone = await Promise.all(sample.map(async (text) => (await encoder.encode([text]))[0]!));
    const tinyBatches = await encoder.encode(sample, { batchTokens: 1 });
    const oneWindow = await encoder.encode([...sample].reverse());
    sample.forEach((_, index) => {
      expect(maxAbsDiff(tinyBatches[index]!.dense!, alone[index]!.dense!)).toBeLessThan(1e-5);
      expect(
        maxAbsDiff(
          oneWindow[sample.length - 1 - index]!.colbert!.data,
          alone[index]!.colbert!.data,
        ),
      ).toBeLessThan(1e-5);
    });
  });

  it('uses the default maxLength of load and a per-call override', async () => {
    const long = 'information retrieval '.repeat(200);
    const [byDefault] = await encoder.encode([long]);
    const [overridden] = await encoder.encode([long], { maxLength: 16 });
    expect(byDefault!.tokenCount).toBe(64);
    expect(byDefault!.truncated).toBe(true);
    expect(overridden!.tokenCount).toBe(16);
    expect(overridden!.colbert!.rows).toBe(15);
  });

  it('reports progress per batch and covers every text', async () => {
    const events: EncodeProgress[] = [];
    const many = Array.from(
      { length: 40 },
      (_, index) => `text number ${index} ${'word '.repeat(index % 7)}`,
    );
    const started = performance.now();
    await encoder.encode(many, { batchTokens: 64, onProgress: (event) => events.push(event) });
    const wall = performance.now() - started;
    const last = events.at(-1)!;
    expect(last.tokenizeMs).toBeGreaterThan(0);
    expect(last.inferenceMs).toBeGreaterThan(0);
    expect(last.postProcessMs).toBeGreaterThan(0);
    expect(last.tokenizeMs + last.inferenceMs + last.postProcessMs).toBeLessThanOrEqual(wall);
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)!.textsDone).toBe(40);
    expect(events.at(-1)!.textsTotal).toBe(40);
    expect(events.at(-1)!.batchesDone).toBe(events.length);
    expect(
      events.every((event, index) => index === 0 || event.textsDone > events[index - 1]!.textsDone),
    ).toBe(true);
  });

  it('streams in input order, a window at a time', async () => {
    async function* source() {
      for (let index = 0; index < 25; index++)
        yield `stream item ${index} ${'x '.repeat(25 - index)}`;
    }
    const streamed: M3EncodedText[] = [];
    for await (const result of encoder.encodeStream(source(), {
      windowSize: 4,
      sparse: false,
      colbert: false,
    }))
      streamed.push(result);
    const direct = await encoder.encode(
      Array.from({ length: 25 }, (_, index) => `stream item ${index} ${'x '.repeat(25 - index)}`),
      { sparse: false, colbert: false },
    );
    expect(streamed).toHaveLength(25);
    streamed.forEach((result, index) => {
      expect(result.tokenCount).toBe(direct[index]!.tokenCount);
      expect(maxAbsDiff(result.dense!, direct[index]!.dense!)).toBeLessThan(1e-5);
    });
  });

  it('pulls at most one window ahead of what it has yielded from a stream', async () => {
    let pulled = 0;
    const pulledAtYield: number[] = [];
    async function* endless() {
      for (;;) {
        pulled++;
        yield `item ${pulled}`;
      }
    }
    let seen = 0;
    for await (const _ of encoder.encodeStream(endless(), {
      windowSize: 8,
      sparse: false,
      colbert: false,
    })) {
      pulledAtYield.push(pulled);
      if (++seen === 20) break;
    }
    expect(pulledAtYield[0]).toBe(8);
    pulledAtYield.forEach((count, index) => {
      expect(count).toBeLessThanOrEqual(8 * (Math.floor(index / 8) + 1));
    });
  });

  it('stops with AbortedError when the signal fires', async () => {
    const controller = new AbortController();
    const many = Array.from({ length: 50 }, (_, index) => `abort test ${index}`);
    const run = encoder.encode(many, {
      batchTokens: 16,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.batchesDone === 2) controller.abort(new Error('enough'));
      },
    });
    await expect(run).rejects.toSatisfy((error: unknown) => AbortedError.isInstance(error));
    const already = new AbortController();
    already.abort();
    await expect(encoder.encode(['x'], { signal: already.signal })).rejects.toSatisfy(
      (error: unknown) => AbortedError.isInstance(error),
    );
  });

  it('serves concurrent calls with the results of sequential ones', async () => {
    const [a, b] = await Promise.all([
      encoder.encode(sample.slice(0, 3)),
      encoder.encode(sample.slice(2)),
    ]);
    const sequential = await encoder.encode(sample);
    expect(maxAbsDiff(a[2]!.dense!, sequential[2]!.dense!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(b[0]!.dense!, sequential[2]!.dense!)).toBeLessThan(1e-5);
  });
});

describe('M3Encoder bad input', () => {
  let encoder: M3Encoder;
  beforeAll(async () => {
    encoder = await M3Encoder.load(TINY_MODEL, { threads: 1 });
  });
  afterAll(() => encoder?.close());

  it('encodes empty and whitespace-only text as the reference does: <s></s>, no lexical weights, one ColBERT row', async () => {
    const reference = referenceEncodings(8192);
    const [empty, whitespace] = await encoder.encode([
      textById.get('empty')!,
      textById.get('whitespace-only')!,
    ]);
    const expectedEmpty = reference.find((entry) => entry.id === 'empty')!;
    const expectedWhitespace = reference.find((entry) => entry.id === 'whitespace-only')!;
    expect(empty!.tokenCount).toBe(2);
    expect(empty!.lexical!.indices.length).toBe(0);
    expect(empty!.colbert!.rows).toBe(1);
    expect(maxAbsDiff(empty!.dense!, expectedEmpty.dense)).toBeLessThanOrEqual(DENSE_TOLERANCE);
    expect(whitespace!.tokenCount).toBe(expectedWhitespace.inputIds.length);
    expect(
      maxAbsDiff(whitespace!.colbert!.data, expectedWhitespace.colbert.data),
    ).toBeLessThanOrEqual(COLBERT_TOLERANCE);
  });

  it('encodes NUL inside text like the reference', async () => {
    const [result] = await encoder.encode([textById.get('nul')!]);
    const expected = referenceEncodings(8192).find((entry) => entry.id === 'nul')!;
    expect(result!.tokenCount).toBe(expected.inputIds.length);
    expect(maxAbsDiff(result!.dense!, expected.dense)).toBeLessThanOrEqual(DENSE_TOLERANCE);
  });

  it('replaces lone surrogates by U+FFFD, as UTF-8 encoding does, and says so', async () => {
    const [lone, replaced] = await encoder.encode([
      textById.get('lone-surrogate')!,
      textById.get('replacement-char')!,
    ]);
    expect(textById.get('lone-surrogate')!.isWellFormed()).toBe(false);
    expect(lone!.replacedLoneSurrogates).toBe(true);
    expect(replaced!.replacedLoneSurrogates).toBe(false);
    expect(Array.from(lone!.dense!)).toEqual(Array.from(replaced!.dense!));
    const [tokens] = await encoder.tokenize([textById.get('lone-surrogate')!]);
    const expected = referenceEncodings(8192).find((entry) => entry.id === 'lone-surrogate')!;
    expect(tokens!.ids).toEqual(expected.inputIds);
    expect(tokens!.replacedLoneSurrogates).toBe(true);
    // U+FFFD takes one UTF-16 unit, as the lone surrogate did: offsets still index the input.
    expect(tokens!.offsets.at(-2)![1]).toBe(textById.get('lone-surrogate')!.length);
  });

  it('truncates a huge text quickly and reports it', async () => {
    const huge = 'Information retrieval in many languages. '.repeat(250_000); // ~10 million characters
    // Counted, not timed (a clock bound fails on a loaded machine): the characters handed to the
    // Rust tokenizer stay a prefix bounded by maxLength, where the whole would be ~14 s of work.
    const encode = vi.spyOn(tokenizers.Tokenizer.prototype, 'encode');
    const encodeBatch = vi.spyOn(tokenizers.Tokenizer.prototype, 'encodeBatch');
    try {
      const [result] = await encoder.encode([huge], { maxLength: 128 });
      expect(result!.truncated).toBe(true);
      expect(result!.tokenCount).toBe(128);
      const examined =
        encode.mock.calls.reduce((sum, call) => sum + String(call[0]).length, 0) +
        encodeBatch.mock.calls.reduce(
          (sum, call) => sum + (call[0] as string[]).reduce((n, t) => n + t.length, 0),
          0,
        );
      expect(examined).toBeGreaterThan(0);
      expect(examined).toBeLessThanOrEqual(3 * 4096);
    } finally {
      encode.mockRestore();
      encodeBatch.mockRestore();
    }
  });

  it('rejects non-string texts naming the item, and bad limits naming the option', async () => {
    const notText = ['fine', 42 as unknown as string];
    await expect(encoder.encode(notText)).rejects.toSatisfy(
      (error: unknown) => InvalidInputError.isInstance(error) && error.item === 'texts[1]',
    );
    await expect(encoder.encode(['x'], { maxLength: 8193 })).rejects.toSatisfy(
      (error: unknown) => InvalidInputError.isInstance(error) && error.item === 'maxLength',
    );
    await expect(encoder.encode(['x'], { maxLength: 2 })).rejects.toThrow(
      /maxLength must be an integer from 3 to 8192/,
    );
    await expect(encoder.encode(['x'], { batchTokens: 0 })).rejects.toThrow(/batchTokens/);
    await expect(encoder.tokenize([null as unknown as string])).rejects.toSatisfy(
      (error: unknown) => InvalidInputError.isInstance(error) && error.item === 'texts[0]',
    );
  });

  it('splits a batch onnxruntime rejects and retries the halves, down to one text', async () => {
    const directory = temporaryDirectory('split');
    try {
      copyTinyModelFiles(directory);
      writeExternalDataGraph(directory, { failOn: 'batches' });
      // The graph itself refuses two rows...
      const session = await ort.InferenceSession.create(join(directory, 'onnx', 'model.onnx'));
      const two = new ort.Tensor('int64', BigInt64Array.of(0n, 2n, 0n, 2n), [2, 2]);
      await expect(session.run({ input_ids: two, attention_mask: two })).rejects.toThrow();
      await session.release();
      // ...and the encoder, planning one batch of four, still encodes each text.
      const fragile = await M3Encoder.load(directory, { threads: 1 });
      const texts = ['alpha beta', 'gamma delta', 'epsilon zeta', 'eta theta'];
      const together = await fragile.encode(texts);
      const alone = await Promise.all(
        texts.map(async (text) => (await fragile.encode([text]))[0]!),
      );
      together.forEach((result, index) => {
        expect(Array.from(result.dense!)).toEqual(Array.from(alone[index]!.dense!));
      });
      await fragile.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('says which text onnxruntime failed on when even one text fails (InferenceError)', async () => {
    const directory = temporaryDirectory('fail');
    try {
      copyTinyModelFiles(directory);
      writeExternalDataGraph(directory, { failOn: 'everything' });
      const broken = await M3Encoder.load(directory, { threads: 1 });
      await expect(broken.encode(['some text', 'more text'])).rejects.toSatisfy(
        (error: unknown) =>
          InferenceError.isInstance(error) &&
          error.batchTokens > 2 &&
          /onnxruntime failed on a text of \d+ tokens/.test(error.message),
      );
      await broken.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses work after close', async () => {
    const closing = await M3Encoder.load(TINY_MODEL, { threads: 1 });
    await closing.close();
    await expect(closing.encode(['x'])).rejects.toThrow(/closed/);
  });
});
