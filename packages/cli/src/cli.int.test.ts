import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
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

// A backend that goes away in the middle of an ingest: the CLI stops with exit code 3, and the
// same command through a healthy connection finishes the job. Content-addressed sync keeps no
// checkpoint: the store is the record, so the rerun must end with exactly the point set (chunk
// ids and fingerprints) a clean run makes.
const esUrl = process.env.ES_URL;
describe.skipIf(!esUrl)('m3 ingest when Elasticsearch goes down mid-run', () => {
  const name = `${collection}_outage`;
  const clean = `${collection}_outage_clean`;
  afterAll(async () => {
    for (const index of [name, clean]) {
      const handle = new ElasticStore({
        node: esUrl!,
        collection: { name: index, denseDimension: 32 },
      });
      await handle.drop().catch(() => undefined);
      await handle.close();
    }
  });

  it("exits 3 when the connection is cut after the first committed batch; the rerun ends with the clean run's point set", async () => {
    const { createServer, connect } = await import('node:net');
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { BIN } = await import('./test-support/run-cli.js');
    const { storedPointSet } = await import('./test-support/point-set.js');
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
    // Sized so the run is far from done when its first batch shows: 150 batches of 4.
    const documents = 600;
    const input = join(dir.path, 'outage.jsonl');
    writeFileSync(
      input,
      Array.from({ length: documents }, (_, i) =>
        JSON.stringify({
          id: `o${i}`,
          text: `outage test document ${i} about vector search ${'and more '.repeat(i % 7)}`,
          n: i,
        }),
      ).join('\n'),
    );
    const ingestArgs = (store: string, dataDir: string): string[] => [
      'ingest',
      input,
      '--model',
      TINY_MODEL,
      '--store',
      store,
      '--data-dir',
      dataDir,
      '--batch-documents',
      '4',
      '--json',
    ];
    const viaProxy = `es://127.0.0.1:${port}/${name}`;
    const direct = backends[2].url(esUrl!).replace(/[^/]+$/, name);

    /** Chunks of the index visible to a search (refreshed): the first committed batch shows here. */
    const visible = async (): Promise<number> => {
      const response = await fetch(`${esUrl!.replace(/\/+$/, '')}/${name}/_count`);
      if (!response.ok) return 0;
      return ((await response.json()) as { count: number }).count;
    };

    let committed = 0;
    const first = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, ...ingestArgs(viaProxy, join(dir.path, 'outage'))],
        {
          cwd: dir.path,
          env: { PATH: process.env.PATH ?? '' },
        },
      );
      let stderr = '';
      let cut = false;
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.stdout.resume();
      const poll = async (): Promise<void> => {
        while (!cut) {
          committed = await visible().catch(() => 0);
          if (committed > 0) {
            cut = true;
            proxy.close();
            for (const socket of sockets) socket.destroy();
            return;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      void poll();
      child.on('close', (code) => {
        cut = true;
        resolve({ code, stderr });
      });
    });
    expect(committed).toBeGreaterThan(0);
    expect(first.code, first.stderr).toBe(EXIT_CODES.backend);
    expect(first.stderr).toMatch(/documents are stored whole; run again/);
    expect(first.stderr).not.toMatch(/\n\s+at /);

    // The rerun through a healthy connection, from another data dir: the store is the only record.
    const rerun = await runBinary(ingestArgs(direct, join(dir.path, 'outage-rerun')), {
      cwd: dir.path,
    });
    expect(rerun.code, rerun.stderr).toBe(EXIT_CODES.ok);
    const report = JSON.parse(rerun.stdout) as {
      documents: number;
      unchanged: number;
      points: number;
    };
    expect(report.documents).toBe(documents);
    expect(report.unchanged).toBeGreaterThan(0);
    expect(report.points).toBe(documents);

    const reference = backends[2].url(esUrl!).replace(/[^/]+$/, clean);
    const cleanRun = await runBinary(ingestArgs(reference, join(dir.path, 'outage-clean')), {
      cwd: dir.path,
    });
    expect(cleanRun.code, cleanRun.stderr).toBe(EXIT_CODES.ok);
    const open = (index: string) => (spec?: CollectionSpec) =>
      new ElasticStore({ node: esUrl!, collection: spec ?? { name: index, denseDimension: 32 } });
    const points = await storedPointSet(open(name));
    expect(points.length).toBe(documents);
    expect(points).toEqual(await storedPointSet(open(clean)));
  }, 600_000);
});
