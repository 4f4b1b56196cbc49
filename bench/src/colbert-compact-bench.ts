// Compact ColBERT storage: bytes per token and agreement with float32 exact scoring, per option,
// on the realistic synthetic corpus (passages of 20-300 token rows of 1024 floats whose rows are
// token vectors plus context, so near-duplicate rows exist as in real text).
//
//   node bench/dist/colbert-compact-bench.js --passages 2000 --queries 40
//
// The peer is float32 exact MaxSim (FlagEmbedding's colbert_score) over the same passages.
import {
  binarizeMultiVector,
  type BinaryMultiVector,
  binaryColbertScore,
  colbertScores,
  dequantizeMultiVectorInt8,
  poolMultiVector,
  quantizeMultiVectorInt8,
  type MultiVector,
} from '@m3kit/core';
import { RealisticCorpus } from '@m3kit/core/testing';
import { parseArgs } from 'node:util';
import { recallOf } from './recall.js';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '2000' },
    queries: { type: 'string', default: '40' },
    dimension: { type: 'string', default: '1024' },
    'binary-candidates': { type: 'string', default: '100' },
  },
});
const passages = Number(values.passages);
const queries = Number(values.queries);
const dimension = Number(values.dimension);
const binaryCandidates = Number(values['binary-candidates']);

interface StorageOption {
  readonly name: string;
  /** Stored bytes per original token row (pooling stores fewer rows). */
  bytesPerToken: number;
  readonly convert: (passage: MultiVector) => MultiVector;
  stored: MultiVector[];
}

const float16 = (passage: MultiVector): MultiVector => ({
  ...passage,
  data: passage.data.map(roundToFloat16),
});
const int8 = (passage: MultiVector): MultiVector =>
  dequantizeMultiVectorInt8(quantizeMultiVectorInt8(passage));
const options: StorageOption[] = [
  { name: 'float32 (peer)', bytesPerToken: 4 * dimension, convert: (p) => p, stored: [] },
  { name: 'float16', bytesPerToken: 2 * dimension, convert: float16, stored: [] },
  {
    name: 'int8, scale per row (default)',
    bytesPerToken: dimension + 4,
    convert: int8,
    stored: [],
  },
  {
    name: 'int8 + pooling x2',
    bytesPerToken: 0,
    convert: (p) => int8(poolMultiVector(p, 2)),
    stored: [],
  },
  {
    name: 'int8 + pooling x3',
    bytesPerToken: 0,
    convert: (p) => int8(poolMultiVector(p, 3)),
    stored: [],
  },
];

const corpus = new RealisticCorpus({ passages, queries, dimension });
const started = Date.now();
let tokens = 0;
const pooledRows = new Map<string, number>();
const binary: BinaryMultiVector[] = [];
const ids: string[] = [];
for (const record of corpus.passages()) {
  const colbert = record.embedding.colbert!;
  tokens += colbert.rows;
  ids.push(record.id);
  for (const option of options) {
    const stored = option.convert(colbert);
    option.stored.push(stored);
    pooledRows.set(option.name, (pooledRows.get(option.name) ?? 0) + stored.rows);
  }
  binary.push(binarizeMultiVector(colbert));
}
for (const option of options) {
  if (option.bytesPerToken === 0)
    option.bytesPerToken = ((dimension + 4) * pooledRows.get(option.name)!) / tokens;
}
console.log(
  `realistic corpus: ${passages} passages, ${tokens} ColBERT rows (${(tokens / passages).toFixed(0)} a passage), ${dimension}-d; built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

const peer = options[0]!;
const rows: string[][] = [];
const exactTop: string[][] = [];
const exactScores: Float64Array[] = [];
for (const query of corpus.queries()) {
  const scores = colbertScores(query.embedding.colbert!, peer.stored);
  exactScores.push(scores);
  exactTop.push(topIds(scores, 10));
}
for (const option of options) {
  let agreement = 0;
  let maxError = 0;
  const started = performance.now();
  corpus.queries().forEach((query, q) => {
    const scores = colbertScores(query.embedding.colbert!, option.stored);
    agreement += recallOf(topIds(scores, 10), exactTop[q]!, 10);
    for (let i = 0; i < scores.length; i++)
      maxError = Math.max(maxError, Math.abs(scores[i]! - exactScores[q]![i]!));
  });
  const ms = (performance.now() - started) / queries;
  rows.push([
    option.name,
    option.bytesPerToken.toFixed(0),
    (agreement / queries).toFixed(4),
    maxError.toExponential(2),
    ms.toFixed(1),
  ]);
}
// 1-bit rows pick candidates, float32 rows rescore them (the original kept on disk).
{
  let agreement = 0;
  let candidateRecall = 0;
  const started = performance.now();
  corpus.queries().forEach((query, q) => {
    const approximate = Float64Array.from(binary, (passage) =>
      binaryColbertScore(query.embedding.colbert!, passage),
    );
    const candidates = topIndices(approximate, binaryCandidates);
    candidateRecall += recallOf(
      candidates.map((i) => ids[i]!),
      exactTop[q]!,
      10,
    );
    const rescored = colbertScores(
      query.embedding.colbert!,
      candidates.map((i) => peer.stored[i]!),
    );
    const order = [...rescored.keys()].sort((a, b) => rescored[b]! - rescored[a]!);
    agreement += recallOf(
      order.slice(0, 10).map((i) => ids[candidates[i]!]!),
      exactTop[q]!,
      10,
    );
  });
  const ms = (performance.now() - started) / queries;
  rows.push([
    `1-bit candidates (${binaryCandidates}) + float32 rescoring`,
    `${dimension / 8} + originals`,
    (agreement / queries).toFixed(4),
    '0 (rescored)',
    ms.toFixed(1),
  ]);
  console.log(
    `1-bit candidate recall of the exact top 10 within ${binaryCandidates}: ${(candidateRecall / queries).toFixed(4)}`,
  );
}

console.log('');
console.log(
  '| ColBERT storage | bytes per token | top-10 agreement vs float32 | max score error | ms per query (client, 1 thread) |',
);
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
const int8Row = rows[2]!;
console.log(
  `\nint8 default: ${(Number(int8Row[1]) / (4 * dimension)).toFixed(3)}x float32 bytes; ${((Number(int8Row[1]) * 300) / 1e6).toFixed(3)} MB per 300-token passage`,
);

function topIds(scores: Float64Array, k: number): string[] {
  return topIndices(scores, k).map((i) => ids[i]!);
}

function topIndices(scores: Float64Array, k: number): number[] {
  return [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k);
}

/** The float32 nearest to x's IEEE half-precision rounding (round to nearest even, 10-bit mantissa). */
function roundToFloat16(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const exponent = Math.floor(Math.log2(Math.abs(x)));
  const step = 2 ** (Math.max(exponent, -14) - 10);
  const scaled = x / step;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return rounded * step;
}
