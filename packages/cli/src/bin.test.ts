import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExactStore } from '@m3kit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import { BIN, SAMPLE, TINY_MODEL, runBinary, temporaryDirectory } from './test-support/run-cli.js';

// The built binary as users run it: exit codes, signals, kill -9 and resume, secrets.
const DOCUMENTS = 600;
let dir: { path: string; remove: () => void };
let input: string;

beforeAll(() => {
  dir = temporaryDirectory('m3bin-');
  input = join(dir.path, 'corpus.jsonl');
  const words = [
    'vector',
    'search',
    'hybrid',
    'sparse',
    'dense',
    'colbert',
    'index',
    'query',
    'token',
    'model',
  ];
  const lines = Array.from({ length: DOCUMENTS }, (_, i) =>
    JSON.stringify({
      id: `doc${i}`,
      text:
        Array.from({ length: 30 }, (_, w) => words[(i * 7 + w * 3) % words.length]).join(' ') +
        ` ${i}`,
      n: i,
    }),
  );
  writeFileSync(input, `${lines.join('\n')}\n`);
});
afterAll(() => dir.remove());

const storeFile = (dataDir: string): string => join(dataDir, 'm3kit.m3store');

/** Whether the store file holds at least one write after its header line (a batch is committed). */
function hasCommittedWrite(dataDir: string): boolean {
  if (!existsSync(storeFile(dataDir))) return false;
  const text = readFileSync(storeFile(dataDir), 'utf8');
  const firstNewline = text.indexOf('\n');
  return firstNewline >= 0 && text.indexOf('\n', firstNewline + 1) > firstNewline;
}

/** Starts an ingest and sends `signal` as soon as its first batch is committed to the store file. */
function ingestUntilCheckpoint(
  dataDir: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        'ingest',
        input,
        '--model',
        TINY_MODEL,
        '--data-dir',
        dataDir,
        '--batch-documents',
        '4',
      ],
      { cwd: dir.path, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.resume();
    const poll = setInterval(() => {
      if (hasCommittedWrite(dataDir)) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('close', (code, received) => {
      clearInterval(poll);
      resolve({ code, signal: received, stderr });
    });
  });
}

/** Stored chunks, and how many of the input's documents they hold (each document is one chunk). */
async function storedIds(dataDir: string): Promise<{ count: number; found: number }> {
  const store = new ExactStore({
    collection: { name: 'm3kit', denseDimension: 32 },
    path: storeFile(dataDir),
  });
  await store.ensureCollection();
  const documents = new Set<string>();
  for await (const page of store.scan())
    for (const record of page) documents.add(String(record.metadata?.['m3_document_id']));
  const expected = Array.from({ length: DOCUMENTS }, (_, i) => `doc${i}`).filter((id) =>
    documents.has(id),
  );
  const result = { count: await store.count(), found: expected.length };
  await store.close();
  return result;
}

describe('m3 binary', () => {
  it('has a shebang and runs as an executable', async () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    const result = await runBinary(['--version'], { cwd: dir.path });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('kill -9 after the first committed batch, then a rerun: the same points as a clean run, no duplicates', async () => {
    const clean = join(dir.path, 'clean');
    const cleanRun = await runBinary(
      ['ingest', input, '--model', TINY_MODEL, '--data-dir', clean],
      { cwd: dir.path },
    );
    expect(cleanRun.code).toBe(EXIT_CODES.ok);
    expect(await storedIds(clean)).toEqual({ count: DOCUMENTS, found: DOCUMENTS });

    const killed = join(dir.path, 'killed');
    const first = await ingestUntilCheckpoint(killed, 'SIGKILL');
    expect(first.signal).toBe('SIGKILL');
    const before = await storedIds(killed);
    expect(before.found).toBeGreaterThan(0);
    expect(before.found).toBeLessThan(DOCUMENTS);

    // The rerun finds the committed documents in the store itself and encodes only the rest.
    const rerun = await runBinary(['ingest', input, '--model', TINY_MODEL, '--data-dir', killed], {
      cwd: dir.path,
    });
    expect(rerun.code).toBe(EXIT_CODES.ok);
    expect(rerun.stdout).toMatch(
      new RegExp(`wrote ${DOCUMENTS - before.found} new or changed documents`),
    );
    expect(rerun.stdout).toMatch(new RegExp(`${before.found} unchanged, not encoded`));
    expect(await storedIds(killed)).toEqual({ count: DOCUMENTS, found: DOCUMENTS });
    const stats = await runBinary(['stats', '--json', '--data-dir', killed], { cwd: dir.path });
    expect(JSON.parse(stats.stdout).points).toBe(DOCUMENTS);
  });

  it('Ctrl-C stops at a safe point with exit 130, and the rerun resumes', async () => {
    const dataDir = join(dir.path, 'interrupted');
    const first = await ingestUntilCheckpoint(dataDir, 'SIGINT');
    expect(first.code).toBe(EXIT_CODES.interrupted);
    expect(first.stderr).toMatch(/interrupted/);
    expect(first.stderr).not.toMatch(/\n\s+at /);
    const before = await storedIds(dataDir);
    const rerun = await runBinary(['ingest', input, '--model', TINY_MODEL, '--data-dir', dataDir], {
      cwd: dir.path,
    });
    expect(rerun.code).toBe(EXIT_CODES.ok);
    expect(rerun.stdout).toMatch(new RegExp(`${before.found} unchanged, not encoded`));
    expect(await storedIds(dataDir)).toEqual({ count: DOCUMENTS, found: DOCUMENTS });
  });

  it('never prints a credential: environment, flags or URL, even with --verbose on a backend error', async () => {
    const secret = 'secret-value';
    const env = {
      ES_API_KEY: secret,
      QDRANT_API_KEY: secret,
      MILVUS_TOKEN: secret,
      ES_PASSWORD: secret,
      ES_USERNAME: 'elastic',
    };
    const runs = await Promise.all([
      runBinary(
        ['ingest', SAMPLE, '--model', TINY_MODEL, '--store', 'es://127.0.0.1:9/docs', '--verbose'],
        { cwd: dir.path, env },
      ),
      runBinary(
        [
          'ingest',
          SAMPLE,
          '--model',
          TINY_MODEL,
          '--store',
          `es+https://elastic:${secret}@127.0.0.1:9/docs`,
          '--verbose',
        ],
        { cwd: dir.path },
      ),
      runBinary(
        [
          'query',
          'x',
          '--model',
          TINY_MODEL,
          '--store',
          'qdrant://127.0.0.1:9/docs',
          '--api-key',
          secret,
          '--verbose',
          '--json',
        ],
        { cwd: dir.path, env },
      ),
      runBinary(
        [
          'stats',
          '--store',
          `es://127.0.0.1:9/docs`,
          '--password',
          secret,
          '--username',
          'elastic',
          '--verbose',
        ],
        { cwd: dir.path },
      ),
      runBinary(
        [
          'ingest',
          SAMPLE,
          '--model',
          TINY_MODEL,
          '--store',
          `redis://user:${secret}@127.0.0.1:9/docs`,
        ],
        { cwd: dir.path },
      ),
    ]);
    expect(runs.map((r) => r.code)).toEqual([3, 3, 3, 3, 1]);
    for (const run of runs) {
      const output = run.stdout + run.stderr;
      expect(output).not.toContain(secret);
      expect(output).not.toContain(Buffer.from(`elastic:${secret}`).toString('base64'));
    }
    // The backend error is reported (and the URL's password, checked above, is not).
    expect(runs[1]!.stderr).toMatch(/elasticsearch: .*ECONNREFUSED 127\.0\.0\.1:9/);
  });
});
