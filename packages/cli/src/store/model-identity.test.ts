import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../exit-codes.js';
import { SAMPLE, TINY_MODEL, runBinary, temporaryDirectory } from '../test-support/run-cli.js';
import { hubModelOf } from './model-identity.js';

// The embedded store records the model in its file's header, as a server collection does on the
// server: `m3 query` without --model reuses it, and another model is a usage error naming both.
// The hub case runs offline: the tiny fixture model is put into a model cache (M3KIT_CACHE) in
// the hub layout (<cache>/<owner>--<name>/main/), and HF_HUB_OFFLINE=1 forbids the network, so
// the test passes only if the recorded hub id is what loads.
const HUB_MODEL = 'm3kit-test/tiny-m3';
let dir: { path: string; remove: () => void };
let cache: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = temporaryDirectory('m3model-');
  cache = join(dir.path, 'cache');
  cpSync(TINY_MODEL, join(cache, HUB_MODEL.replace('/', '--'), 'main'), { recursive: true });
  env = { M3KIT_CACHE: cache, HF_HUB_OFFLINE: '1' };
});
afterAll(() => dir.remove());

const run = (argv: string[], extra: Record<string, string> = {}) =>
  runBinary(argv, { cwd: dir.path, env: { ...env, ...extra } });

describe('model identity on the embedded exact store', () => {
  it('a local model is recorded: query without --model names it; another model is a usage error naming both', async () => {
    const ingested = await run(['ingest', SAMPLE, '--model', TINY_MODEL, '--collection', 'local']);
    expect(ingested.code, ingested.stderr).toBe(EXIT_CODES.ok);
    const same = await run(['query', 'password', '--model', TINY_MODEL, '--collection', 'local']);
    expect(same.code, same.stderr).toBe(EXIT_CODES.ok);

    const noModel = await run(['query', 'password', '--collection', 'local']);
    expect(noModel.code).toBe(EXIT_CODES.usage);
    expect(noModel.stderr).toMatch(
      /ingested with the local model local:tiny-m3:[0-9a-f]{12}, which is not available here: give its directory with --model DIR/,
    );
    // Before, this loaded BAAI/bge-m3 (the default) and failed on the dimension, or downloaded it.
    expect(noModel.stderr).not.toMatch(/BAAI\/bge-m3|download/);

    const hub = await run(['query', 'password', '--model', 'BAAI/bge-m3', '--collection', 'local']);
    expect(hub.code).toBe(EXIT_CODES.usage);
    expect(hub.stderr).toMatch(
      /--model BAAI\/bge-m3 is BAAI\/bge-m3, but the collection was ingested with local:tiny-m3:[0-9a-f]{12}: query with that model/,
    );

    // Same files, another config.json: another model, and its dimension is said too.
    const other = join(dir.path, 'tiny-64');
    mkdirSync(other);
    writeFileSync(join(other, 'config.json'), JSON.stringify({ hidden_size: 64 }));
    const wrong = await run(['query', 'password', '--model', other, '--collection', 'local']);
    expect(wrong.code).toBe(EXIT_CODES.usage);
    expect(wrong.stderr).toMatch(
      /is local:tiny-64:[0-9a-f]{12}, but the collection was ingested with local:tiny-m3:[0-9a-f]{12}; the collection holds 32-dimensional vectors but --model .*tiny-64 makes 64/,
    );
    // M3_MODEL is --model's stand-in and is checked alike.
    const fromEnv = await run(['query', 'password', '--collection', 'local'], {
      M3_MODEL: 'BAAI/bge-m3',
    });
    expect(fromEnv.code).toBe(EXIT_CODES.usage);
    expect(fromEnv.stderr).toMatch(/but the collection was ingested with local:tiny-m3:/);
    for (const result of [noModel, hub, wrong, fromEnv])
      expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('a hub model id is recorded and reused by query and ingest without --model, offline from the cache', async () => {
    const ingested = await run([
      'ingest',
      SAMPLE,
      '--model',
      HUB_MODEL,
      '--collection',
      'hub',
      '--json',
    ]);
    expect(ingested.code, ingested.stderr).toBe(EXIT_CODES.ok);
    const stats = await run(['stats', '--collection', 'hub', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({ model: HUB_MODEL, points: 30 });

    const query = await run(['query', 'password', '--collection', 'hub', '--json']);
    expect(query.code, query.stderr).toBe(EXIT_CODES.ok);
    const hits = JSON.parse(query.stdout).hits as { id: string }[];
    expect(hits.length).toBeGreaterThan(0);
    // The same ranking as with the hub id given: the recorded model is the one that encoded it.
    const given = await run([
      'query',
      'password',
      '--model',
      HUB_MODEL,
      '--collection',
      'hub',
      '--json',
    ]);
    expect(JSON.parse(given.stdout).hits.map((h: { id: string }) => h.id)).toEqual(
      hits.map((h) => h.id),
    );
    // An ingest rerun without --model also takes the recorded hub id: nothing to re-encode.
    const rerun = await run(['ingest', SAMPLE, '--collection', 'hub', '--json']);
    expect(rerun.code, rerun.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ written: 0, unchanged: 30 });

    // The local copy of the same files is another identity (local:...): a usage error.
    const local = await run(['query', 'password', '--model', TINY_MODEL, '--collection', 'hub']);
    expect(local.code).toBe(EXIT_CODES.usage);
    expect(local.stderr).toContain(`but the collection was ingested with ${HUB_MODEL}`);

    // Without the cache, offline: the recorded hub id is named, and nothing is downloaded.
    const noCache = await run(['query', 'password', '--collection', 'hub'], {
      M3KIT_CACHE: join(dir.path, 'empty-cache'),
    });
    expect(noCache.code).not.toBe(EXIT_CODES.ok);
    expect(noCache.stderr).toContain(HUB_MODEL);
  }, 120_000);

  it('hubModelOf: a hub id is reusable, a local identity is not', () => {
    expect(hubModelOf(HUB_MODEL)).toBe(HUB_MODEL);
    expect(hubModelOf('local:tiny-m3:0123456789ab')).toBeUndefined();
    expect(hubModelOf(undefined)).toBeUndefined();
  });
});
