#!/usr/bin/env node
// ColBERT storage options on real token rows, the second check beside the realistic corpus
// (colbert-compact-bench.ts): the bundled sample's texts (examples/data/sample.jsonl, several
// languages) and documents of 20-400 of its words are encoded with a model (default the tiny
// test model), and each option's ColBERT top-10 is compared with float32 exact MaxSim, the peer.
// Queries are each sample text's first words.
//
//   node bench/dist/colbert-real-tokens-bench.js [--model fixtures/tiny-m3 --documents 300 --query-words 8]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  binarizeMultiVector,
  binaryColbertScore,
  colbertScores,
  colbertScoresInt8,
  quantizeMultiVectorInt8,
  type MultiVector,
} from '@m3kit/core';
import { SeededRandom, jsonlDocuments } from '@m3kit/core/testing';
import { M3Encoder } from '@m3kit/encoder';
import { recallOf } from './recall.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fixtures/tiny-m3' },
    documents: { type: 'string', default: '300' },
    'query-words': { type: 'string', default: '8' },
    'binary-candidates': { type: 'string', default: '50' },
    threads: { type: 'string', default: '2' },
  },
});

const sample = jsonlDocuments(
  readFileSync(new URL('../../examples/data/sample.jsonl', import.meta.url), 'utf8'),
);
const sampleTexts = sample.map((d) => d.text ?? '');
const words = sampleTexts.flatMap((t) => t.split(/\s+/));
const random = new SeededRandom(11);
const texts = [
  ...sampleTexts,
  ...Array.from({ length: Number(values.documents) }, () =>
    Array.from({ length: random.int(20, 400) }, () => random.pick(words)).join(' '),
  ),
];
const queryTexts = sampleTexts.map((t) =>
  t.split(/\s+/).slice(0, Number(values['query-words'])).join(' '),
);

const encoder = await M3Encoder.load(values.model, { threads: Number(values.threads) });
const started = performance.now();
// 512 tokens, FlagEmbedding's passage max length.
const passages = (await encoder.encode(texts, { maxLength: 512 })).map((e) => e.colbert!);
const queries = (await encoder.encode(queryTexts)).map((e) => e.colbert!);
const rows = passages.reduce((sum, p) => sum + p.rows, 0);
console.log(
  `model ${values.model} (ColBERT dim ${encoder.colbertDimension}): ${passages.length} passages, ${rows} token rows, ${queries.length} queries, encoded in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const int8 = passages.map(quantizeMultiVectorInt8);
const binary = passages.map(binarizeMultiVector);
const binaryCandidates = Number(values['binary-candidates']);
let int8Agreement = 0;
let int8MaxError = 0;
// Agreement counting a passage whose exact score is within 1e-3 of the exact 10th as agreeing:
// the sample-word documents are near-duplicates, so their scores often tie that closely.
let int8TolerantAgreement = 0;
let binaryAgreement = 0;
let binaryRecall = 0;
for (const query of queries) {
  const exact = colbertScores(query, passages);
  const exactTop = topIds(exact, 10);
  const quantised = colbertScoresInt8(query, int8);
  int8Agreement += recallOf(topIds(quantised, 10), exactTop, 10);
  const tenth = exact[Number(exactTop[9])]!;
  int8TolerantAgreement +=
    topIds(quantised, 10).filter((id) => exact[Number(id)]! >= tenth - 1e-3).length / 10;
  for (let i = 0; i < exact.length; i++)
    int8MaxError = Math.max(int8MaxError, Math.abs(quantised[i]! - exact[i]!));
  // 1-bit rows pick candidates, exact float32 rows rescore them.
  const approximate = Float64Array.from(binary, (p) => binaryColbertScore(query, p));
  const picked = topIds(approximate, binaryCandidates);
  binaryRecall += recallOf(picked, exactTop, 10);
  const rescored = new Float64Array(exact.length).fill(Number.NEGATIVE_INFINITY);
  for (const id of picked) rescored[Number(id)] = exact[Number(id)]!;
  binaryAgreement += recallOf(topIds(rescored, 10), exactTop, 10);
}
const n = queries.length;
const bytesPerRow = (m: MultiVector): number => m.dim;
console.log(
  '\n| ColBERT storage | bytes per token | top-10 agreement vs float32 | max score error |',
);
console.log('| --- | --- | --- | --- |');
console.log(`| float32 (peer) | ${4 * bytesPerRow(passages[0]!)} | 1.0000 | 0 |`);
console.log(
  `| int8, scale per row | ${bytesPerRow(passages[0]!) + 4} | ${(int8Agreement / n).toFixed(4)} | ${int8MaxError.toExponential(1)} |`,
);
console.log(
  `| 1-bit rows pick ${binaryCandidates}, float32 rescoring | ${Math.ceil(bytesPerRow(passages[0]!) / 8)} (+ originals) | ${(binaryAgreement / n).toFixed(4)} | 0 (rescored) |`,
);
console.log(
  `\nint8 agreement counting exact scores within 1e-3 of the 10th as equal: ${(int8TolerantAgreement / n).toFixed(4)}`,
);
console.log(
  `1-bit candidate recall of the exact top 10 within ${binaryCandidates}: ${(binaryRecall / n).toFixed(4)}`,
);

/** Indices (as strings) of the `k` highest scores, ties by index. */
function topIds(scores: Float64Array, k: number): string[] {
  return [...scores.keys()]
    .sort((a, b) => scores[b]! - scores[a]! || a - b)
    .slice(0, k)
    .map(String);
}
