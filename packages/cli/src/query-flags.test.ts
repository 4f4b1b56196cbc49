import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import {
  SAMPLE,
  TINY_MODEL,
  runBinary,
  runInProcess,
  temporaryDirectory,
} from './test-support/run-cli.js';

// m3 query's flags: what each one means, and a usage error (not silence) when it would mean nothing.
let dir: { path: string; remove: () => void };
const run = (argv: readonly string[]) => runInProcess(argv, { cwd: dir.path });
const query = (...flags: string[]) =>
  run(['query', 'reset my password', '--model', TINY_MODEL, '--data-dir', dir.path, ...flags]);

interface JsonHit {
  readonly score: number;
  readonly signalScores: Record<string, number>;
}

beforeAll(async () => {
  dir = temporaryDirectory('m3flags-');
  expect((await run(['ingest', SAMPLE, '--model', TINY_MODEL, '--data-dir', dir.path])).code).toBe(
    EXIT_CODES.ok,
  );
}, 60_000);
afterAll(() => dir.remove());

describe('m3 query flags', () => {
  it('takes --top-k 10000 without asking for more candidates than a store takes', async () => {
    const result = await query('--top-k', '10000', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout).hits).toHaveLength(30);
  }, 30_000);

  it.each([['--top-k'], ['-k']])(
    'answers %s -1 with the range, not "ambiguous"',
    async (flag) => {
      const result = await query(flag, '-1');
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).toContain('--top-k must be a whole number from 1 to 10000, got "-1"');
      expect(result.stderr).not.toContain('ambiguous');
    },
    30_000,
  );

  it('lets given weights replace the defaults: --weights dense=1 ranks by dense alone', async () => {
    const result = await query('--weights', 'dense=1', '--json');
    expect(result.code).toBe(EXIT_CODES.ok);
    const hits = JSON.parse(result.stdout).hits as JsonHit[];
    expect(hits.length).toBeGreaterThan(1);
    for (const hit of hits) expect(hit.score).toBeCloseTo(hit.signalScores.dense!, 12);
  }, 30_000);

  it.each([
    [['--weights', 'dense=1', '--fusion', 'rrf'], '--weights applies to --fusion weighted'],
    [['--weights', 'dense=1', '--fusion', 'dbsf'], '--weights applies to --fusion weighted'],
    [['--weights', 'dense=1', '--mode', 'dense'], '--weights applies to --fusion weighted'],
    [['--rrf-k', '10'], '--rrf-k applies to --fusion rrf'],
    [['--rrf-k', '10', '--fusion', 'dbsf'], '--rrf-k applies to --fusion rrf'],
    [['--weights', 'dense=0'], 'the weights sum to 0'],
    [['--weights', 'dense=1,dense=2'], 'dense given twice'],
    [['--weights', '1,1,1,1'], 'at most three weights'],
  ])(
    'refuses %j',
    async (flags, message) => {
      const result = await query(...flags);
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).toContain(message);
    },
    30_000,
  );

  it('keeps --rrf-k with --fusion rrf', async () => {
    const result = await query('--fusion', 'rrf', '--rrf-k', '1', '--json');
    expect(result.code).toBe(EXIT_CODES.ok);
    const [first] = JSON.parse(result.stdout).hits as JsonHit[];
    // k=1 from rank 1: a hit first in all three lists scores 3 x 1/2.
    expect(first!.score).toBeLessThanOrEqual(1.5);
    expect(first!.score).toBeGreaterThan(1 / 2);
  }, 30_000);

  it("offline, a hub id fails with the command line's ways out, not the library's", async () => {
    const cache = temporaryDirectory('m3cache-');
    try {
      // embed loads the model first (query would first miss the collection).
      const result = await runBinary(['embed', '-', '--model', 'BAAI/bge-m3'], {
        cwd: cache.path,
        env: { HF_HUB_OFFLINE: '1', M3KIT_CACHE: cache.path },
        stdin: '{"id":"a","text":"x"}\n',
      });
      expect(result.code).toBe(EXIT_CODES.usage);
      expect(result.stderr).not.toContain('unexpected error');
      expect(result.stderr).not.toContain('M3Encoder.load');
      expect(result.stderr).not.toContain('cacheDir');
      expect(result.stderr).toContain('--model DIR (or M3_MODEL=DIR)');
      expect(result.stderr).toContain('M3KIT_CACHE');
    } finally {
      cache.remove();
    }
  }, 30_000);

  it('documents the model environment in --help', async () => {
    const result = await run(['query', '--help']);
    expect(result.stdout).toContain('M3KIT_CACHE');
    expect(result.stdout).toContain('HF_HUB_OFFLINE');
    expect(result.stdout).toContain('a signal left out weighs 0');
  });
});
