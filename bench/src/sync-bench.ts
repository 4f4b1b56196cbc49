#!/usr/bin/env node
// Sync benchmark (issue 16): the same corpus ingested three times into one exact store with the
// tiny model: (1) a first ingest (everything encoded), the peer; (2) a rerun of the unchanged
// corpus, whose time must be <= 5% of the first; (3) a rerun after 1% of the documents changed,
// which must re-encode 1% of the chunks (counted at the encoder). Prints both ratios.
//
//   node bench/dist/sync-bench.js --documents 10000
import { parseArgs } from 'node:util';
import { ExactStore, ingest, withSyncFields, type M3Document, type M3EncoderV1 } from '@m3kit/core';
import { SeededRandom } from '@m3kit/core/testing';
import { M3Encoder } from '@m3kit/encoder';
import { fixed } from './stats.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'fixtures/tiny-m3' },
    documents: { type: 'string', default: '10000' },
    threads: { type: 'string', default: '1' },
    changed: { type: 'string', default: '0.01' },
  },
});
const count = Number(values.documents);
const changedShare = Number(values.changed);

const WORDS = [
  'search',
  'engine',
  'vector',
  'hybrid',
  'sparse',
  'dense',
  'token',
  'index',
  'query',
  'ranking',
  'document',
  'recall',
  'latency',
  'shard',
];

function corpus(edits: ReadonlySet<number>): M3Document[] {
  const random = new SeededRandom(7);
  return Array.from({ length: count }, (_, i) => {
    const length = random.int(20, 400);
    const text = Array.from({ length }, () => random.pick(WORDS)).join(' ');
    return { id: `doc-${i}`, text: edits.has(i) ? `${text} (edited)` : text, metadata: { n: i } };
  });
}

/** Counts the texts the encoder is asked to encode: re-encoded chunks, measured where they cost. */
function counting(encoder: M3EncoderV1): { encoder: M3EncoderV1; texts: () => number } {
  let texts = 0;
  const wrapped = Object.create(encoder) as M3EncoderV1;
  wrapped.encode = (input, options) => {
    texts += input.length;
    return encoder.encode(input, options);
  };
  return { encoder: wrapped, texts: () => texts };
}

const encoder = await M3Encoder.load(values.model!, { threads: Number(values.threads) });
const store = new ExactStore({
  collection: withSyncFields({ name: 'sync_bench', denseDimension: encoder.denseDimension }),
});
await store.ensureCollection();

const first = counting(encoder);
let started = performance.now();
const firstReport = await ingest(corpus(new Set()), { encoder: first.encoder, store });
const firstSeconds = (performance.now() - started) / 1000;

const unchanged = counting(encoder);
started = performance.now();
const unchangedReport = await ingest(corpus(new Set()), { encoder: unchanged.encoder, store });
const unchangedSeconds = (performance.now() - started) / 1000;

const random = new SeededRandom(99);
const edits = new Set<number>();
while (edits.size < Math.round(count * changedShare)) edits.add(random.int(0, count - 1));
const changed = counting(encoder);
started = performance.now();
const changedReport = await ingest(corpus(edits), { encoder: changed.encoder, store });
const changedSeconds = (performance.now() - started) / 1000;

const cpu = process.cpuUsage();
console.log(
  `sync bench: ${count} documents, model ${values.model}, exact store, ${values.threads} inference thread(s)`,
);
console.log(
  `  first ingest:     ${fixed(firstSeconds, 2)} s, ${first.texts()} chunks encoded (${firstReport.chunks} written)`,
);
console.log(
  `  unchanged rerun:  ${fixed(unchangedSeconds, 2)} s, ${unchanged.texts()} chunks encoded, ${unchangedReport.unchanged} documents unchanged`,
);
console.log(
  `  ${edits.size} changed (${fixed(changedShare * 100, 1)}%): ${fixed(changedSeconds, 2)} s, ${changed.texts()} chunks encoded, ${changedReport.written} documents written`,
);
console.log(
  `  ratio unchanged rerun / first ingest time: ${fixed(unchangedSeconds / firstSeconds, 4)} (target <= 0.05)`,
);
console.log(
  `  ratio re-encoded / all chunks after ${fixed(changedShare * 100, 1)}% changed: ${fixed(changed.texts() / first.texts(), 4)} (target ~${changedShare})`,
);
console.log(`  process CPU: ${fixed((cpu.user + cpu.system) / 1e6, 1)} s`);
await encoder.close();
