#!/usr/bin/env node
// Upserts of full-size BGE-M3 points (1024-d dense, lexical weights, 300 ColBERT rows of 1024)
// through the REST path @m3kit/qdrant uses (JSON, shortest round-tripping decimals) against the
// official gRPC client @qdrant/js-client-grpc (protobuf: 4 bytes a float), on one server, the
// same points, rounds interleaved. Prints passages/s, client CPU per passage and gRPC/REST ratios;
// checks that the gRPC points read back bit-identical.
//
// Without QDRANT_URL (or with --encode-only) it measures the client side only: request bytes per
// passage and encoding time, JSON as the adapter sends it against protobuf as the gRPC client does.
//
//   npm run build && QDRANT_URL=http://127.0.0.1:6333 node bench/qdrant-grpc-upsert.mjs --passages 24
//   (QDRANT_GRPC_PORT, default 6334)
import { parseArgs } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import { resolveCollectionSpec } from '@m3kit/core';
import { RealisticCorpus } from '@m3kit/core/testing';
import { QdrantStore, pointIdFor } from '@m3kit/qdrant';
import { QdrantClient as GrpcClient, UpsertPointsSchema } from '@qdrant/js-client-grpc';
// The adapter's own point encoding (not part of the package's API), to size its JSON bodies.
import { resolveQdrantOptions } from '../packages/qdrant/dist/options.js';
import { recordToPoint } from '../packages/qdrant/dist/record-codec.js';

const { values } = parseArgs({
  options: {
    passages: { type: 'string', default: '24' },
    rows: { type: 'string', default: '300' },
    batch: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'encode-only': { type: 'boolean', default: false },
  },
});
const url = values['encode-only'] ? undefined : process.env.QDRANT_URL;
const PASSAGES = Number(values.passages);
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const corpus = new RealisticCorpus({
  seed: 3,
  passages: PASSAGES,
  queries: 1,
  passageTokens: [ROWS - 1, ROWS - 1],
});
const records = Array.from({ length: PASSAGES }, (_, i) => corpus.passage(i));
const name = `m3bench_grpc_${Date.now().toString(36)}`;

/** The gRPC point of a record: the same id, payload and named vectors the adapter writes. */
function grpcPoint(record) {
  const { dense, lexical, colbert } = record.embedding;
  const rows = [];
  for (let r = 0; r < colbert.rows; r++)
    rows.push({ data: Array.from(colbert.data.subarray(r * colbert.dim, (r + 1) * colbert.dim)) });
  const metadata = Object.fromEntries(
    Object.entries(record.metadata ?? {}).map(([k, v]) => [
      k,
      typeof v === 'number'
        ? { kind: { case: 'doubleValue', value: v } }
        : { kind: { case: 'stringValue', value: String(v) } },
    ]),
  );
  return {
    id: { pointIdOptions: { case: 'uuid', value: pointIdFor(record.id) } },
    payload: {
      document_id: { kind: { case: 'stringValue', value: record.id } },
      ...(record.text !== undefined
        ? { text: { kind: { case: 'stringValue', value: record.text } } }
        : {}),
      metadata: { kind: { case: 'structValue', value: { fields: metadata } } },
    },
    vectors: {
      vectorsOptions: {
        case: 'vectors',
        value: {
          vectors: {
            dense: { vector: { case: 'dense', value: { data: Array.from(dense) } } },
            sparse: {
              vector: {
                case: 'sparse',
                value: { indices: Array.from(lexical.indices), values: Array.from(lexical.values) },
              },
            },
            colbert: { vector: { case: 'multiDense', value: { vectors: rows } } },
          },
        },
      },
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Client side only: one request body per passage, JSON (the adapter's) vs protobuf (gRPC). */
function encodeComparison() {
  const spec = resolveCollectionSpec({ name, denseDimension: 1024 });
  const options = resolveQdrantOptions({ collection: spec });
  const json = { bytes: 0, ms: [] };
  const proto = { bytes: 0, ms: [] };
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    let bytes = 0;
    for (const record of records)
      bytes += Buffer.byteLength(
        JSON.stringify({ wait: true, points: [recordToPoint(record, spec, options).point] }),
      );
    json.ms.push(performance.now() - t);
    json.bytes = bytes;
    t = performance.now();
    bytes = 0;
    for (const record of records)
      bytes += toBinary(
        UpsertPointsSchema,
        create(UpsertPointsSchema, {
          collectionName: name,
          wait: true,
          points: [grpcPoint(record)],
        }),
      ).length;
    proto.ms.push(performance.now() - t);
    proto.bytes = bytes;
  }
  const values = records.reduce(
    (sum, r) =>
      sum +
      r.embedding.dense.length +
      2 * r.embedding.lexical.indices.length +
      r.embedding.colbert.data.length,
    0,
  );
  console.log(
    `request bodies, ${PASSAGES} passages x ${records[0].embedding.colbert.rows} ColBERT rows of 1024 (+ dense, lexical), medians of ${ROUNDS}:`,
  );
  console.log(
    `JSON (REST, @m3kit/qdrant): ${(json.bytes / PASSAGES / 1e6).toFixed(2)} MB/passage (${(json.bytes / values).toFixed(2)} bytes/value), encode ${(median(json.ms) / PASSAGES).toFixed(1)} ms/passage`,
  );
  console.log(
    `protobuf (gRPC):            ${(proto.bytes / PASSAGES / 1e6).toFixed(2)} MB/passage (${(proto.bytes / values).toFixed(2)} bytes/value), encode ${(median(proto.ms) / PASSAGES).toFixed(1)} ms/passage`,
  );
  console.log(
    `protobuf/JSON: bytes x${(proto.bytes / json.bytes).toFixed(2)}, encode time x${(median(proto.ms) / median(json.ms)).toFixed(2)}`,
  );
}

encodeComparison();
if (!url) {
  console.log('(no QDRANT_URL: client side only)');
  process.exit(0);
}
const host = new URL(url).hostname;
const grpcPort = Number(process.env.QDRANT_GRPC_PORT ?? 6334);
const store = new QdrantStore({
  url,
  collection: { name, denseDimension: 1024 },
  write: { maxBatchRecords: BATCH, concurrency: 1 },
});
await store.ensureCollection();
const grpc = new GrpcClient({ host, port: grpcPort, checkCompatibility: false, timeout: 300_000 });
const points = grpc.api('points');

async function viaRest() {
  await store.upsert(records);
}

async function viaGrpc() {
  for (let start = 0; start < records.length; start += BATCH) {
    await points.upsert({
      collectionName: name,
      wait: true,
      points: records.slice(start, start + BATCH).map(grpcPoint),
    });
  }
}

async function timed(work) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const runs = { rest: [], grpc: [] };
await viaGrpc(); // warm both paths (connections, JIT) before measuring
await viaRest();
for (let round = 0; round < ROUNDS; round++) {
  runs.rest.push(await timed(viaRest));
  runs.grpc.push(await timed(viaGrpc));
}

// The gRPC points must read back exactly as written (float32 bit for bit).
await viaGrpc();
const [back] = await store.get([records[0].id], { includeEmbedding: true });
const sent = records[0].embedding.colbert.data;
const got = back.embedding.colbert.data;
const identical = got.length === sent.length && got.every((v, i) => v === sent[i]);

const features = await store.serverFeatures();
const rate = (list) => PASSAGES / median(list.map((r) => r.seconds));
const cpu = (list) => (1000 * median(list.map((r) => r.cpuSeconds))) / PASSAGES;
console.log(
  `Qdrant ${features.version}; ${PASSAGES} passages x ${records[0].embedding.colbert.rows} ColBERT rows of 1024 (+ dense, lexical), ${BATCH} a request, ${ROUNDS} rounds each, medians`,
);
console.log(
  `REST (@m3kit/qdrant JSON): ${rate(runs.rest).toFixed(1)} passages/s, client CPU ${cpu(runs.rest).toFixed(1)} ms/passage`,
);
console.log(
  `gRPC (@qdrant/js-client-grpc): ${rate(runs.grpc).toFixed(1)} passages/s, client CPU ${cpu(runs.grpc).toFixed(1)} ms/passage`,
);
console.log(
  `gRPC/REST: throughput x${(rate(runs.grpc) / rate(runs.rest)).toFixed(2)}, client CPU x${(cpu(runs.grpc) / cpu(runs.rest)).toFixed(2)}; gRPC points read back identical: ${identical}`,
);
await store.drop();
