import type { M3StoreV1 } from '@m3kit/core';
import { ElasticStore } from '@m3kit/elastic';
import { MilvusStore } from '@m3kit/milvus';
import { QdrantStore } from '@m3kit/qdrant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { SAMPLE, TINY_MODEL, runBinary, temporaryDirectory } from './test-support/run-cli.js';

// The CLI against real servers: ingest the bundled sample, count it, query it, and compare the
// answers with the embedded exact store's. Each backend runs when its address is set.
const collection = `m3cli_${process.pid}_${Date.now() % 100_000}`;
const backends = [
  {
    name: 'qdrant',
    env: 'QDRANT_URL',
    url: (value: string) => `${value.replace(/^http(s?):\/\//, (_, s: string) => `qdrant${s ? '+https' : ''}://`).replace(/\/+$/, '')}/${collection}`,
    drop: (value: string): M3StoreV1 => new QdrantStore({ url: value, collection: { name: collection, denseDimension: 32 } }),
  },
  {
    name: 'milvus',
    env: 'MILVUS_ADDRESS',
    url: (value: string) => `milvus://${value.replace(/^https?:\/\//, '')}/${collection}`,
    drop: (value: string): M3StoreV1 => new MilvusStore({ address: value, collection: { name: collection, denseDimension: 32 } }),
  },
  {
    name: 'elasticsearch',
    env: 'ES_URL',
    url: (value: string) => `${value.replace(/^http(s?):\/\//, (_, s: string) => `es${s ? '+https' : ''}://`).replace(/\/+$/, '')}/${collection}`,
    drop: (value: string): M3StoreV1 => new ElasticStore({ node: value, collection: { name: collection, denseDimension: 32 } }),
  },
] as const;

let dir: { path: string; remove: () => void };
beforeAll(async () => {
  dir = temporaryDirectory('m3int-');
  const embedded = await runBinary(['ingest', SAMPLE, '--model', TINY_MODEL, '--collection', collection], { cwd: dir.path });
  expect(embedded.code).toBe(EXIT_CODES.ok);
});
afterAll(() => dir.remove());

const query = ['query', 'How do I reset my password?', '--model', TINY_MODEL, '--json', '--top-k', '5'];
type QueryOutput = { hits: { id: string; score: number }[]; execution: { description: string } };

for (const backend of backends) {
  const address = process.env[backend.env];
  if (!address) console.warn(`SKIPPED: cli integration tests on ${backend.name}: ${backend.env} not set`);
  describe.skipIf(!address)(`m3 on ${backend.name}`, () => {
    const store = address ? backend.url(address) : '';
    afterAll(async () => {
      const handle = backend.drop(address!);
      await handle.drop().catch(() => undefined);
      await handle.close();
    });

    it('ingests the sample (metadata fields inferred), counts it, and a rerun changes nothing', async () => {
      const first = await runBinary(['ingest', SAMPLE, '--model', TINY_MODEL, '--store', store, '--json'], { cwd: dir.path });
      expect(first.code, first.stderr).toBe(EXIT_CODES.ok);
      expect(first.stderr).toMatch(/indexing metadata for filters: lang:keyword, tags:keyword\[\], year:integer/);
      expect(JSON.parse(first.stdout)).toMatchObject({ documents: 30, points: 30 });
      const again = await runBinary(['ingest', SAMPLE, '--model', TINY_MODEL, '--store', store, '--json'], { cwd: dir.path });
      expect(again.code, again.stderr).toBe(EXIT_CODES.ok);
      const stats = await runBinary(['stats', '--store', store, '--json'], { cwd: dir.path });
      expect(JSON.parse(stats.stdout).points).toBe(30);
      const filter = ['--filter', 'tags=faq and lang!=en and year<2025'];
      const filtered = await runBinary(['stats', '--store', store, '--json', ...filter], { cwd: dir.path });
      const exact = await runBinary(['stats', '--collection', collection, '--json', ...filter], { cwd: dir.path });
      expect(JSON.parse(filtered.stdout).points).toBe(JSON.parse(exact.stdout).points);
      expect(JSON.parse(exact.stdout).points).toBeGreaterThan(5);
    });

    it('answers hybrid and single-signal queries like the exact store, filters included', async () => {
      for (const extra of [[], ['--mode', 'dense'], ['--mode', 'sparse'], ['--fusion', 'rrf', '--filter', 'lang in de,en,es and year>=2022']]) {
        const exact = JSON.parse((await runBinary([...query, ...extra, '--collection', collection], { cwd: dir.path })).stdout) as QueryOutput;
        const result = await runBinary([...query, ...extra, '--store', store], { cwd: dir.path });
        expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
        const served = JSON.parse(result.stdout) as QueryOutput;
        expect(served.execution.description.length).toBeGreaterThan(0);
        expect(served.hits.map((h) => h.id)).toEqual(exact.hits.map((h) => h.id));
        served.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(exact.hits[i]!.score, 2));
      }
    });
  });
}
