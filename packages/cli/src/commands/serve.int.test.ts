import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, SAMPLE, TINY_MODEL, runBinary } from '../test-support/run-cli.js';

const ES_URL = process.env.ES_URL;
if (!ES_URL) console.warn('SKIPPED: m3 serve on Elasticsearch: ES_URL not set');

interface Served {
  readonly child: ChildProcess;
  readonly base: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm3-serve-'));
  dirs.push(dir);
  return dir;
}

/** Starts `m3 serve --port 0` and reads the address it prints. */
async function serve(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`m3 serve did not start in 60 s:\n${stderr}`)),
      60_000,
    );
    child.stderr!.on('data', () => {
      const match = /listening on (http:\/\/[\d.:]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) =>
      reject(new Error(`m3 serve exited with ${code} before listening:\n${stderr}`)),
    );
  });
  return { child, base, stderr: () => stderr, exited };
}

async function post(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: a JSON response read field by field and checked with expect().
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('m3 serve', () => {
  it('serves an ingested embedded store with the CLI filter syntax; SIGTERM finishes requests in flight, closes the store, exits 0', async () => {
    const dir = tempDir();
    const ingested = await runBinary(['ingest', SAMPLE, '--model', TINY_MODEL], { cwd: dir });
    expect(ingested.code).toBe(0);
    const served = await serve(['--model', TINY_MODEL, '--batch-wait-ms', '400'], dir);
    expect(existsSync(join(dir, '.m3kit', 'm3kit.m3store.lock'))).toBe(true);

    const filtered = await post(served.base, '/query', {
      text: 'password',
      filter_expr: 'lang in de,ja and year>=2020',
      top_k: 30,
    });
    expect(filtered.status).toBe(200);
    expect(filtered.body.hits.length).toBeGreaterThan(0);
    for (const hit of filtered.body.hits) {
      expect(['de', 'ja']).toContain(hit.metadata.lang);
      expect(hit.metadata.year).toBeGreaterThanOrEqual(2020);
    }
    const bad = await post(served.base, '/query', { text: 'password', filter_expr: 'year>=' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('body.filter_expr');

    // Requests wait 400 ms for company in the encoder queue: SIGTERM arrives while they do.
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      post(served.base, '/embed', { sentences: [`in flight ${i}`] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    served.child.kill('SIGTERM');
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(await served.exited).toBe(0);
    expect(served.stderr()).toContain('m3 serve: stopped');
    await expect(fetch(`${served.base}/healthz`)).rejects.toThrow();
    expect(existsSync(join(dir, '.m3kit', 'm3kit.m3store.lock'))).toBe(false);
    const stats = await runBinary(['stats', '--json'], { cwd: dir });
    expect(JSON.parse(stats.stdout).points).toBe(30);
  }, 120_000);

  it('takes the API key from the environment, requires it, and never prints it', async () => {
    const dir = tempDir();
    const key = 'serve-key-from-env-7f3a9c';
    const served = await serve(['--model', TINY_MODEL, '--log'], dir, { M3_SERVE_API_KEY: key });
    expect((await post(served.base, '/embed', { sentences: ['hi'] })).status).toBe(401);
    expect(
      (await post(served.base, '/embed', { sentences: ['hi'] }, { authorization: `Bearer ${key}` }))
        .status,
    ).toBe(200);
    served.child.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    expect(served.stderr()).toContain('API key required');
    expect(served.stderr()).not.toContain(key);
  }, 120_000);

  it.skipIf(!ES_URL)(
    'serves an Elasticsearch index: ingest through POST /documents, query, delete',
    async (ctx) => {
      const dir = tempDir();
      const index = `m3serve_cli_${Date.now().toString(36)}`;
      const served = await serve(
        [
          '--model',
          TINY_MODEL,
          '--store',
          `${ES_URL!.replace(/^http:/, 'es:')}/${index}`,
          '--field',
          'lang:keyword',
        ],
        dir,
      );
      try {
        const ingested = await post(served.base, '/documents', {
          documents: [
            { id: 'a', text: 'reset your password in the settings', metadata: { lang: 'en' } },
            {
              id: 'b',
              text: 'Passwort in den Einstellungen zurücksetzen',
              metadata: { lang: 'de' },
            },
          ],
        });
        if (ingested.status !== 200) console.warn(JSON.stringify(ingested.body));
        if (ingested.status === 501) {
          // ingest()'s sync needs scan(); an adapter that has not implemented it answers 501.
          console.warn(`SKIPPED: m3 serve on Elasticsearch: ${ingested.body.error.message}`);
          ctx.skip();
        }
        expect(ingested.status).toBe(200);
        expect(ingested.body.chunks).toBe(2);
        const answer = await post(served.base, '/query', {
          text: 'password',
          filter_expr: 'lang=de',
        });
        expect(
          answer.body.hits.map(
            (h: { metadata: { m3_document_id: string } }) => h.metadata.m3_document_id,
          ),
        ).toEqual(['b']);
        expect(answer.body.execution.description).toContain('elastic');
        const deleted = await fetch(`${served.base}/documents/a`, { method: 'DELETE' });
        expect(deleted.status).toBe(200);
      } finally {
        served.child.kill('SIGTERM');
        expect(await served.exited).toBe(0);
        await runBinary(
          ['drop', '--yes', '--store', `${ES_URL!.replace(/^http:/, 'es:')}/${index}`],
          { cwd: dir },
        );
      }
    },
    180_000,
  );
});
