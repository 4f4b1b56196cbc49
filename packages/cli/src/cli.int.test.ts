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
    url: (value: string) =>
      `${value.replace(/^http(s?):\/\//, (_, s: string) => `qdrant${s ? '+https' : ''}://`).replace(/\/+$/, '')}/${collection}`,
    drop: (value: string): M3StoreV1 =>
      new QdrantStore({ url: value, collection: { name: collection, denseDimension: 32 } }),
  },
  {
    name: 'milvus',
    env: 'MILVUS_ADDRESS',
    url: (value: string) => `milvus://${value.replace(/^https?:\/\//, '')}/${collection}`,
    drop: (value: string): M3StoreV1 =>
      new MilvusStore({ address: value, collection: { name: collection, denseDimension: 32 } }),
  },
  {
    name: 'elasticsearch',
    env: 'ES_URL',
    url: (value: string) =>
      `${value.replace(/^http(s?):\/\//, (_, s: string) => `es${s ? '+https' : ''}://`).replace(/\/+$/, '')}/${collection}`,
    drop: (value: string): M3StoreV1 =>
      new ElasticStore({ node: value, collection: { name: collection, denseDimension: 32 } }),
  },
] as const;

let dir: { path: string; remove: () => void };
beforeAll(async () => {
  dir = temporaryDirectory('m3int-');
  const embedded = await runBinary(
    ['ingest', SAMPLE, '--model', TINY_MODEL, '--collection', collection],
    { cwd: dir.path },
  );
  expect(embedded.code).toBe(EXIT_CODES.ok);
});
afterAll(() => dir.remove());

const query = [
  'query',
  'How do I reset my password?',
  '--model',
  TINY_MODEL,
  '--json',
  '--top-k',
  '5',
];
type QueryOutput = { hits: { id: string; score: number }[]; execution: { description: string } };

/** Ids ordered by score (to 5 decimals), exact ties by id. */
function byScoreThenId(hits: QueryOutput['hits']): string[] {
  return [...hits]
    .sort(
      (a, b) =>
        Math.round(b.score * 1e5) - Math.round(a.score * 1e5) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .map((h) => h.id);
}

for (const backend of backends) {
  const address = process.env[backend.env];
  if (!address)
    console.warn(`SKIPPED: cli integration tests on ${backend.name}: ${backend.env} not set`);
  describe.skipIf(!address)(`m3 on ${backend.name}`, () => {
    const store = address ? backend.url(address) : '';
    afterAll(async () => {
      const handle = backend.drop(address!);
      await handle.drop().catch(() => undefined);
      await handle.close();
    });

    it('ingests the sample (metadata fields inferred), counts it, and a rerun changes nothing', async () => {
      const first = await runBinary(
        ['ingest', SAMPLE, '--model', TINY_MODEL, '--store', store, '--json'],
        { cwd: dir.path },
      );
      expect(first.code, first.stderr).toBe(EXIT_CODES.ok);
      expect(first.stderr).toMatch(
        /indexing metadata for filters: lang:keyword, tags:keyword\[\], year:integer/,
      );
      expect(JSON.parse(first.stdout)).toMatchObject({ documents: 30, points: 30 });
      const again = await runBinary(
        ['ingest', SAMPLE, '--model', TINY_MODEL, '--store', store, '--json'],
        { cwd: dir.path },
      );
      expect(again.code, again.stderr).toBe(EXIT_CODES.ok);
      const stats = await runBinary(['stats', '--store', store, '--json'], { cwd: dir.path });
      expect(JSON.parse(stats.stdout).points).toBe(30);
      const filter = ['--filter', 'tags=faq and lang!=en and year<2025'];
      const filtered = await runBinary(['stats', '--store', store, '--json', ...filter], {
        cwd: dir.path,
      });
      const exact = await runBinary(['stats', '--collection', collection, '--json', ...filter], {
        cwd: dir.path,
      });
      expect(JSON.parse(filtered.stdout).points).toBe(JSON.parse(exact.stdout).points);
      expect(JSON.parse(exact.stdout).points).toBeGreaterThan(5);
    });

    it('answers hybrid and single-signal queries like the exact store, filters included', async () => {
      for (const extra of [
        [],
        ['--mode', 'dense'],
        ['--mode', 'sparse'],
        ['--fusion', 'rrf', '--filter', 'lang in de,en,es and year>=2022'],
      ]) {
        const exact = JSON.parse(
          (await runBinary([...query, ...extra, '--collection', collection], { cwd: dir.path }))
            .stdout,
        ) as QueryOutput;
        const result = await runBinary([...query, ...extra, '--store', store], { cwd: dir.path });
        expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
        const served = JSON.parse(result.stdout) as QueryOutput;
        expect(served.execution.description.length).toBeGreaterThan(0);
        // Exact ties (RRF often has them) may come back in either order: compare tie-broken by id.
        expect(byScoreThenId(served.hits)).toEqual(byScoreThenId(exact.hits));
        served.hits.forEach((hit, i) => {
          expect(hit.score).toBeCloseTo(exact.hits[i]!.score, 2);
        });
      }
    });

    it('drop refuses without --yes, then deletes the collection and its remembered schema; a second drop has nothing to drop', async () => {
      const refused = await runBinary(['drop', '--store', store], { cwd: dir.path });
      expect(refused.code, refused.stderr).toBe(EXIT_CODES.usage);
      expect(refused.stderr).toContain(
        `would drop collection "${collection}" (30 points) from ${store}`,
      );
      expect(
        JSON.parse(
          (await runBinary(['stats', '--store', store, '--json'], { cwd: dir.path })).stdout,
        ).points,
      ).toBe(30);

      const dropped = await runBinary(['drop', '--store', store, '--yes'], { cwd: dir.path });
      expect(dropped.code, dropped.stderr).toBe(EXIT_CODES.ok);
      expect(dropped.stdout.trim()).toBe(
        `dropped collection "${collection}" (30 points) from ${store}`,
      );
      const again = await runBinary(['drop', '--store', store, '--yes'], { cwd: dir.path });
      expect(again.code, again.stderr).toBe(EXIT_CODES.ok);
      expect(again.stdout.trim()).toBe(
        `no collection "${collection}" in ${store}: nothing to drop`,
      );

      // The schema ingest remembered went with it: a new ingest infers the fields again.
      const ingested = await runBinary(
        ['ingest', SAMPLE, '--model', TINY_MODEL, '--store', store, '--json'],
        { cwd: dir.path },
      );
      expect(ingested.code, ingested.stderr).toBe(EXIT_CODES.ok);
      expect(ingested.stderr).toMatch(/indexing metadata for filters/);
      expect(JSON.parse(ingested.stdout)).toMatchObject({ written: 30, unchanged: 0, points: 30 });
      const json = await runBinary(['drop', '--store', store, '--yes', '--json'], {
        cwd: dir.path,
      });
      expect(JSON.parse(json.stdout)).toEqual({ dropped: collection, points: 30, store });
      expect(
        JSON.parse(
          (await runBinary(['drop', '--store', store, '--json'], { cwd: dir.path })).stdout,
        ),
      ).toMatchObject({ dropped: null });
    });
  });
}

// A backend that goes away in the middle of an ingest: the CLI retries, stops with exit code 3
// and its checkpoint, and the same command finishes the job once the backend is back.
const esUrl = process.env.ES_URL;
describe.skipIf(!esUrl)('m3 ingest when Elasticsearch goes down mid-run', () => {
  const name = `${collection}_outage`;
  afterAll(async () => {
    const handle = new ElasticStore({ node: esUrl!, collection: { name, denseDimension: 32 } });
    await handle.drop().catch(() => undefined);
    await handle.close();
  });

  // SKIPPED until rewritten for content-addressed sync: it waits for checkpoint files, which
  // ingest no longer writes (the store is the record now), so it would wait forever.
  console.warn(
    'SKIPPED: cli outage test awaits its rewrite for sync (it polls for checkpoint files that no longer exist)',
  );
  it.skip('exits 3 with a resumable checkpoint, then resumes to the same point count', async () => {
    const { createServer, connect } = await import('node:net');
    const { spawn } = await import('node:child_process');
    const { existsSync, readdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { BIN } = await import('./test-support/run-cli.js');
    const upstream = new URL(esUrl!);
    const sockets = new Set<import('node:net').Socket>();
    const proxy = createServer((client) => {
      const server = connect(Number(upstream.port || 9200), upstream.hostname);
      sockets.add(client).add(server);
      client.pipe(server).pipe(client);
      const drop = (): void => {
        client.destroy();
        server.destroy();
      };
      client.on('error', drop).on('close', drop);
      server.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as import('node:net').AddressInfo).port;
    const documents = 240;
    const input = join(dir.path, 'outage.jsonl');
    writeFileSync(
      input,
      Array.from({ length: documents }, (_, i) =>
        JSON.stringify({
          id: `o${i}`,
          text: `outage test document ${i} about vector search`,
          n: i,
        }),
      ).join('\n'),
    );
    const store = `es://127.0.0.1:${port}/${name}`;
    const dataDir = join(dir.path, 'outage');
    const args = [
      BIN,
      'ingest',
      input,
      '--model',
      TINY_MODEL,
      '--store',
      store,
      '--data-dir',
      dataDir,
      '--batch-documents',
      '8',
    ];

    const first = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, args, {
        cwd: dir.path,
        env: { PATH: process.env.PATH ?? '' },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.resume();
      const poll = setInterval(() => {
        const folder = join(dataDir, 'checkpoints');
        if (existsSync(folder) && readdirSync(folder).some((f) => f.endsWith('.json'))) {
          clearInterval(poll);
          proxy.close();
          for (const socket of sockets) socket.destroy();
        }
      }, 5);
      child.on('close', (code) => {
        clearInterval(poll);
        resolve({ code, stderr });
      });
    });
    expect(first.code, first.stderr).toBe(EXIT_CODES.backend);
    expect(first.stderr).toMatch(/documents are committed; run again to resume/);
    expect(first.stderr).toMatch(/run the same command again to resume/);
    expect(first.stderr).not.toMatch(/\n\s+at /);

    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      const rerun = await runBinary(args.slice(1), { cwd: dir.path });
      expect(rerun.code, rerun.stderr).toBe(EXIT_CODES.ok);
      expect(rerun.stderr).toMatch(/resuming: the first \d+ documents/);
      const stats = await runBinary(['stats', '--store', store, '--data-dir', dataDir, '--json'], {
        cwd: dir.path,
      });
      expect(JSON.parse(stats.stdout).points).toBe(documents);
    } finally {
      proxy.close();
      for (const socket of sockets) socket.destroy();
    }
  });
});
