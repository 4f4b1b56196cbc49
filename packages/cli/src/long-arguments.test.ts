import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { SAMPLE, TINY_MODEL, runBinary, temporaryDirectory } from './test-support/run-cli.js';

// The built binary with arguments of tens of KB: onnxruntime's telemetry parsed the process's
// whole command line with a recursive regex and overflowed the inference worker's stack (exit 139,
// nothing on stderr) from about 14.5 KB of arguments.
const LONG = 20_000;
let dir: { path: string; remove: () => void };

beforeAll(async () => {
  dir = temporaryDirectory('m3long-');
  const ingest = await runBinary(
    ['ingest', SAMPLE, '--model', TINY_MODEL, '--data-dir', dir.path],
    { cwd: dir.path },
  );
  expect(ingest.stderr).not.toMatch(/error/i);
  expect(ingest.code).toBe(EXIT_CODES.ok);
}, 60_000);
afterAll(() => dir.remove());

describe('long arguments', () => {
  it(`answers a ${LONG}-character query, truncated with a note`, async () => {
    const text = Array.from(
      { length: LONG / 10 },
      (_, i) => `word${String(i % 97).padStart(5, '0')} `,
    ).join('');
    expect(text.length).toBe(LONG);
    const result = await runBinary(
      ['query', text, '--model', TINY_MODEL, '--data-dir', dir.path, '--json'],
      { cwd: dir.path },
    );
    expect(result.stderr).toMatch(/note: the query was truncated to \d+ tokens/);
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout).hits.length).toBeGreaterThan(0);
  }, 60_000);

  it(`takes a ${LONG}-character --filter`, async () => {
    const values = Array.from({ length: 4000 }, (_, i) => `v${i}`).join(',');
    const filter = `lang in en,${values}`.slice(0, LONG);
    const result = await runBinary(
      [
        'query',
        'vector search',
        '--model',
        TINY_MODEL,
        '--data-dir',
        dir.path,
        '--filter',
        filter,
        '--json',
      ],
      { cwd: dir.path },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT_CODES.ok);
    expect(JSON.parse(result.stdout).filter).toBeDefined();
  }, 60_000);
});
