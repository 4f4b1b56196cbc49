#!/usr/bin/env node
// Candidate depth vs recall@10 on the realistic corpus: what default depth each fused mode needs.
//
//   node bench/dist/colbert-depth-bench.js --passages 5000 --queries 20 --depths 10,25,50,100,200,400
//
// Every query is scored exactly against every passage once (dense, sparse, ColBERT in float32).
// Then, per depth N, a candidate-based store is modelled at its best: its candidates are the
// exact top-N by dense and the top-N by sparse (what an ANN index and an inverted index return
// when they make no mistakes; the paper's protocol reranks the top-200 dense hits and fuses the
// top-1000 dense and sparse), every candidate is scored exactly and fused. recall@10 is measured
// against the exact store over all passages with its default depth, so the table shows how much
// of each mode's loss is the depth alone, before any backend's ANN error. Backends' own recall at
// their defaults is in store-bench's table.
import { parseArgs } from 'node:util';
import {
  colbertScores,
  denseScore,
  lexicalMatchingScore,
  rankCandidates,
  resolveQuery,
  resolveCollectionSpec,
  type HybridQuery,
  type M3Embedding,
  type Signal,
} from '@m3kit/core';
import { RealisticCorpus } from '@m3kit/core/testing';
import { recallOf } from './recall.js';
import { fixed } from './stats.js';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '5000' },
    queries: { type: 'string', default: '20' },
    depths: { type: 'string', default: '10,25,50,100,200,400' },
    'top-k': { type: 'string', default: '10' },
  },
});
const passageCount = Number(values.passages);
const topK = Number(values['top-k']);
const depths = values.depths.split(',').map(Number);
const corpus = new RealisticCorpus({
  passages: passageCount,
  queries: Number(values.queries),
  seed: 11,
});
const queries = corpus.queries().map((q) => q.embedding);
const collection = resolveCollectionSpec({ name: 'depth', denseDimension: 1024 });

// scores[q][signal][passage]
const ids: string[] = [];
const scores = queries.map(() => ({
  dense: new Float64Array(passageCount),
  sparse: new Float64Array(passageCount),
  colbert: new Float64Array(passageCount),
}));
let started = performance.now();
let batch: { id: string; embedding: M3Embedding }[] = [];
const flush = (): void => {
  const offset = ids.length;
  for (const record of batch) ids.push(record.id);
  queries.forEach((query, q) => {
    const colbert = colbertScores(
      query.colbert!,
      batch.map((r) => r.embedding.colbert!),
    );
    batch.forEach((record, i) => {
      scores[q]!.dense[offset + i] = denseScore(query.dense!, record.embedding.dense!);
      scores[q]!.sparse[offset + i] = lexicalMatchingScore(
        query.lexical!,
        record.embedding.lexical!,
      );
      scores[q]!.colbert[offset + i] = colbert[i]!;
    });
  });
  batch = [];
};
for (const record of corpus.passages()) {
  batch.push(record);
  if (batch.length === 256) flush();
}
flush();
console.log(
  `realistic corpus: ${passageCount} passages (20-300 ColBERT rows), ${queries.length} queries; exact scores in ${fixed((performance.now() - started) / 1000)} s`,
);

const modes: { label: string; query: Partial<HybridQuery> }[] = [
  { label: 'colbert (rerank of dense+sparse candidates)', query: { signals: ['colbert'] } },
  { label: 'dense+sparse weighted', query: { signals: ['dense', 'sparse'] } },
  { label: 'weighted (all three)', query: { fusion: { kind: 'weighted' } } },
  { label: 'rrf (all three)', query: { fusion: { kind: 'rrf' } } },
  { label: 'dbsf (all three)', query: { fusion: { kind: 'dbsf' } } },
];

type Scores = Map<string, Partial<Record<Signal, number>>>;
const topIndices = (values: Float64Array, n: number): number[] =>
  Array.from(values.keys())
    .sort((a, b) => values[b]! - values[a]! || (ids[a]! < ids[b]! ? -1 : 1))
    .slice(0, n);

const header = `| mode | ${depths.map((d) => `N=${d}`).join(' | ')} |`;
const lines = [header, `| --- | ${depths.map(() => '---').join(' | ')} |`];
// Rank fusions (rrf, dbsf) change with the depth itself (each list is cut at N, in the exact
// store too): this second table compares with the exact store at the same depth N.
const sameDepth = [header, lines[1]!];
started = performance.now();
for (const { label, query } of modes) {
  const recalls = depths.map(() => 0);
  const recallsSameDepth = depths.map(() => 0);
  queries.forEach((embedding, q) => {
    const all = scores[q]!;
    const resolvedExact = resolveQuery({ ...query, embedding, topK }, collection);
    const signals = resolvedExact.signals;
    const everything: Scores = new Map();
    for (let i = 0; i < passageCount; i++) {
      const perSignal: Partial<Record<Signal, number>> = {};
      for (const s of signals) perSignal[s] = all[s][i]!;
      everything.set(ids[i]!, perSignal);
    }
    const truth = rankCandidates(resolvedExact, everything).map((h) => h.id);
    depths.forEach((depth, d) => {
      const resolved = resolveQuery({ ...query, embedding, topK, candidates: depth }, collection);
      const pool = new Set([
        ...topIndices(all.dense, depth),
        ...topIndices(all.sparse, depth).filter((i) => all.sparse[i]! > 0),
      ]);
      const candidates: Scores = new Map();
      for (const i of pool) {
        const perSignal: Partial<Record<Signal, number>> = {};
        for (const s of signals) perSignal[s] = all[s][i]!;
        candidates.set(ids[i]!, perSignal);
      }
      const got = rankCandidates(resolved, candidates).map((h) => h.id);
      recalls[d]! += recallOf(got, truth, topK) / queries.length;
      const truthAtDepth = rankCandidates(resolved, everything).map((h) => h.id);
      recallsSameDepth[d]! += recallOf(got, truthAtDepth, topK) / queries.length;
    });
  });
  lines.push(`| ${label} | ${recalls.map((r) => fixed(r, 3)).join(' | ')} |`);
  sameDepth.push(`| ${label} | ${recallsSameDepth.map((r) => fixed(r, 3)).join(' | ')} |`);
}
console.log(
  `\nrecall@${topK} vs the exact store over all passages (its default depth for rank fusions); candidates = exact top-N dense ∪ top-N sparse:\n`,
);
for (const line of lines) console.log(line);
console.log(`\nrecall@${topK} vs the exact store over all passages at the same depth N:\n`);
for (const line of sameDepth) console.log(line);
console.log(`\n(fusion over depths in ${fixed((performance.now() - started) / 1000)} s)`);
