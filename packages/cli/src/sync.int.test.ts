import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnsupportedError, type M3StoreV1 } from '@m3kit/core';
import { ElasticStore } from '@m3kit/elastic';
import { MilvusStore } from '@m3kit/milvus';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { TINY_MODEL, runBinary, temporaryDirectory } from './test-support/run-cli.js';

// Sync (issue 16) through `m3 ingest` against the real servers: reruns, edits between runs,
// duplicates, prune + dry run, concurrent shards, concurrent overlapping versions, a collection
// dropped between runs, stats on a missing collection, and a collection opened from a fresh
// directory. Sync works only through the store contract (describeCollection, scan), so a backend
// whose adapter does not implement them yet is skipped with that reason, loudly.
const stamp = `${process.pid}_${Date.now() % 100_000}`;
const servers = [
  {
    name: 'elasticsearch',
    address: process.env.ES_URL,
    url: (value: string, name: string) =>
      `${value.replace(/^http(s?):\/\//, (_, s: string) => `es${s ? '+https' : ''}://`).replace(/\/+$/, '')}/${name}`,
    store: (value: string, name: string): M3StoreV1 =>
      new ElasticStore({ node: value, collection: { name, denseDimension: 32 } }),
  },
  {
    name: 'milvus',
    address: process.env.MILVUS_ADDRESS,
    url: (value: string, name: string) => `milvus://${value.replace(/^https?:\/\//, '')}/${name}`,
    store: (value: string, name: string): M3StoreV1 =>
      new MilvusStore({ address: value, collection: { name, denseDimension: 32 } }),
  },
] as const;

/** Why sync cannot run on this backend here, or undefined. */
async function unavailable(server: (typeof servers)[number]): Promise<string | undefined> {
  if (!server.address) return `no server address in the environment`;
  const store = server.store(server.address, `m3probe_${stamp}`);
  let timer: NodeJS.Timeout | undefined;
  const probe = async (): Promise<void> => {
    await store.describeCollection();
    for await (const _page of store.scan()) break;
  };
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the probe got no answer in 30 s')), 30_000);
      }),
    ]);
    return undefined;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('the probe got no answer'))
      return `${server.name}: ${error.message}`;
    if (UnsupportedError.isInstance(error))
      return `the ${server.name} adapter does not implement describeCollection/scan yet (${error.message})`;
    return undefined; // e.g. "collection not found" from scan: supported
  } finally {
    clearTimeout(timer);
    void store.close().catch(() => undefined);
  }
}

const reasons = new Map<string, string | undefined>();
for (const server of servers) {
  const reason = await unavailable(server);
  reasons.set(server.name, reason);
  if (reason) console.warn(`SKIPPED sync integration tests on ${server.name}: ${reason}`);
}

const dir = temporaryDirectory('m3sync-');
afterAll(() => dir.remove());

function corpus(name: string, version: string, count: number, extra = ''): string {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `d${i}`,
      text: `${version} document ${i} about hybrid search ${'and more words '.repeat(i % 5)}${extra}`,
      lang: i % 2 ? 'en' : 'de',
    }),
  );
  const path = join(dir.path, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const ingestArgs = (file: string, store: string, ...more: string[]) => [
  'ingest',
  file,
  '--model',
  TINY_MODEL,
  '--store',
  store,
  '--source',
  'corpus',
  '--json',
  ...more,
];

for (const server of servers) {
  const reason = reasons.get(server.name);
  describe.skipIf(reason !== undefined)(
    `sync on ${server.name}${reason ? ` (skipped: ${reason})` : ''}`,
    () => {
      const collection = `m3sync_${server.name.slice(0, 3)}_${stamp}`;
      const store = server.address ? server.url(server.address, collection) : '';
      const run = (argv: string[], cwd = dir.path) => runBinary(argv, { cwd });
      afterAll(async () => {
        if (server.address) await run(['drop', '--store', store, '--yes']);
      });

      it('stats on a missing collection fails clearly and creates nothing', async () => {
        const missing = await run([
          'stats',
          '--store',
          server.url(server.address!, `${collection}_none`),
        ]);
        expect(missing.code).toBe(EXIT_CODES.usage);
        expect(missing.stderr).toMatch(/no collection/);
        const again = await run([
          'stats',
          '--store',
          server.url(server.address!, `${collection}_none`),
        ]);
        expect(again.stderr).toMatch(/no collection/);
        const query = await run([
          'query',
          'anything',
          '--model',
          TINY_MODEL,
          '--store',
          server.url(server.address!, `${collection}_none`),
        ]);
        expect(query.code).toBe(EXIT_CODES.usage);
        expect(query.stderr).toMatch(/no collection .*nothing to query/);
        // Neither created it: the server still has no such collection.
        const probe = server.store(server.address!, `${collection}_none`);
        expect(await probe.exists()).toBe(false);
        await probe.close();
      }, 60_000);

      it('a rerun encodes nothing; edits, inserts, duplicates and prune apply; a fresh directory reads it', async () => {
        const first = await run(ingestArgs(corpus('v1.jsonl', 'v1', 30), store));
        expect(first.code, first.stderr).toBe(EXIT_CODES.ok);
        expect(JSON.parse(first.stdout)).toMatchObject({ documents: 30, written: 30, points: 30 });
        const rerun = await run(ingestArgs(join(dir.path, 'v1.jsonl'), store));
        expect(JSON.parse(rerun.stdout)).toMatchObject({
          written: 0,
          unchanged: 30,
          chunks: 0,
          points: 30,
        });
        const edited = corpus('v2.jsonl', 'v1', 25);
        writeFileSync(
          edited,
          `${JSON.stringify({ id: 'd3', text: 'an edited third document' })}\n${JSON.stringify({ id: 'new', text: 'inserted' })}\n`,
          { flag: 'a' },
        );
        const dry = await run(ingestArgs(edited, store, '--prune', '--dry-run'));
        expect(JSON.parse(dry.stdout).pruned).toMatchObject({ documents: 5, dryRun: true });
        const pruned = await run(ingestArgs(edited, store, '--prune'));
        expect(pruned.stderr).toMatch(/duplicate id "d3", first at v2\.jsonl:4/);
        expect(JSON.parse(pruned.stdout)).toMatchObject({
          written: 2,
          pruned: { documents: 5 },
          points: 26,
        });
        const fresh = temporaryDirectory('m3sync-fresh-');
        try {
          const stats = await run(['stats', '--store', store, '--json'], fresh.path);
          expect(stats.code, stats.stderr).toBe(EXIT_CODES.ok);
          expect(JSON.parse(stats.stdout)).toMatchObject({ points: 26, dimension: 32 });
          // The spec comes from the server: fields, signals and dimension with no local record.
          const query = await run(
            [
              'query',
              'edited',
              '--model',
              TINY_MODEL,
              '--store',
              store,
              '--json',
              '--filter',
              'lang=en',
            ],
            fresh.path,
          );
          expect(query.code, query.stderr).toBe(EXIT_CODES.ok);
          expect(JSON.parse(query.stdout).hits.length).toBeGreaterThan(0);
          // Without --model the recorded model is used: a local one that is not here is named.
          const noModel = await run(['query', 'edited', '--store', store], fresh.path);
          expect(noModel.code).toBe(EXIT_CODES.usage);
          expect(noModel.stderr).toMatch(
            /ingested with the local model local:tiny-m3:[0-9a-f]{12}, which is not available here/,
          );
          // Another model than the recorded one: said plainly, not as a dimension mismatch.
          const other = await run(
            ['query', 'edited', '--model', 'BAAI/bge-m3', '--store', store],
            fresh.path,
          );
          expect(other.code).toBe(EXIT_CODES.usage);
          expect(other.stderr).toMatch(
            /--model BAAI\/bge-m3 is BAAI\/bge-m3, but the collection was ingested with local:tiny-m3:/,
          );
        } finally {
          fresh.remove();
        }
      }, 300_000);

      it('two concurrent shards fill the collection once; two concurrent versions leave one whole version each', async () => {
        const name = `${collection}_sh`;
        const target = server.url(server.address!, name);
        try {
          const file = corpus('shards.jsonl', 'v1', 40);
          const results = await Promise.all(
            [0, 1].map((i) =>
              run(ingestArgs(file, target, '--shard', `${i}/2`, '--batch-documents', '4')),
            ),
          );
          for (const result of results) expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
          expect(
            results
              .map((r) => JSON.parse(r.stdout).documents)
              .reduce((a: number, b: number) => a + b, 0),
          ).toBe(40);
          const other = corpus(
            'shards-v2.jsonl',
            'v2',
            40,
            'with a longer second version '.repeat(40),
          );
          const both = await Promise.all([
            run(ingestArgs(file, target, '--batch-documents', '3')),
            run(ingestArgs(other, target, '--batch-documents', '5')),
          ]);
          for (const result of both) expect(result.code, result.stderr).toBe(EXIT_CODES.ok);
          const check = await run(ingestArgs(file, target, '--dry-run'));
          const summary = JSON.parse(check.stdout);
          // Whatever won per document, each is one complete version: a dry run of either input finds
          // every document either current or written whole by the other (none half-written).
          expect(summary.unchanged + summary.written).toBe(40);
        } finally {
          await run(['drop', '--store', target, '--yes']);
        }
      }, 600_000);
    },
  );
}
