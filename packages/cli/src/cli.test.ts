import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from './exit-codes.js';
import {
  SAMPLE,
  TINY_MODEL,
  runInProcess,
  temporaryDirectory,
  type RunResult,
} from './test-support/run-cli.js';

// End to end on the embedded store with the real encoder and the tiny BGE-M3 model
// (fixtures/tiny-m3: XLM-R tokenizer, 32-dimensional outputs).
const MODEL = ['--model', TINY_MODEL];
let dir: { path: string; remove: () => void };
const run = (
  argv: string[],
  options: { stdin?: string; env?: Record<string, string>; tty?: boolean } = {},
): Promise<RunResult> => runInProcess(argv, { cwd: dir.path, ...options });

beforeAll(() => {
  dir = temporaryDirectory();
});
afterAll(() => dir.remove());

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('m3 tokenize and m3 embed', () => {
  const input = [
    '{"id":"en","text":"How do I reset my password?"}',
    '{"id":2,"text":"สวัสดีครับ 你好 مرحبا"}',
    'not json',
    '{"text":"no id"}',
  ].join('\n');

  it('tokenize writes {"id","input_ids"} with <s> ... </s>, reports bad lines with their number', async () => {
    const result = await run(['tokenize', ...MODEL], { stdin: input });
    expect(result.code).toBe(EXIT_CODES.skipped);
    const lines = jsonLines(result.stdout);
    expect(lines.map((l) => l.id)).toEqual(['en', 2, 4]);
    for (const line of lines) {
      const ids = line.input_ids as number[];
      expect(ids[0]).toBe(0);
      expect(ids.at(-1)).toBe(2);
      expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    }
    expect(result.stderr).toContain('<stdin>:3: not valid JSON');
    const truncated = await run(['tokenize', ...MODEL, '--max-length', '4'], {
      stdin: input.split('\n')[0],
    });
    expect((jsonLines(truncated.stdout)[0]!.input_ids as number[]).length).toBe(4);
  });

  it("embed writes FlagEmbedding's names and shapes, in input order", async () => {
    const result = await run(['embed', ...MODEL], { stdin: input });
    expect(result.code).toBe(EXIT_CODES.skipped);
    const lines = jsonLines(result.stdout);
    const tokens = jsonLines((await run(['tokenize', ...MODEL], { stdin: input })).stdout);
    expect(lines.map((l) => l.id)).toEqual(['en', 2, 4]);
    lines.forEach((line, i) => {
      expect(Object.keys(line)).toEqual(['id', 'dense', 'lexical_weights', 'colbert_vecs']);
      const dense = line.dense as number[];
      expect(dense).toHaveLength(32);
      expect(Math.hypot(...dense)).toBeCloseTo(1, 5);
      const weights = line.lexical_weights as Record<string, number>;
      const ids = new Set((tokens[i]!.input_ids as number[]).map(String));
      for (const [key, weight] of Object.entries(weights)) {
        expect(ids.has(key)).toBe(true);
        expect(['0', '1', '2', '3']).not.toContain(key); // special tokens dropped
        expect(weight).toBeGreaterThan(0);
      }
      const colbert = line.colbert_vecs as number[][];
      expect(colbert).toHaveLength((tokens[i]!.input_ids as number[]).length - 1); // <s> dropped, </s> kept
      for (const row of colbert) expect(Math.hypot(...row)).toBeCloseTo(1, 4);
    });
  });

  it('embed --no-colbert / --no-sparse / --no-dense leave those keys out; --batch-tokens 1 gives the same numbers', async () => {
    const first = input.split('\n').slice(0, 2).join('\n');
    const all = jsonLines((await run(['embed', ...MODEL], { stdin: first })).stdout);
    const small = jsonLines(
      (await run(['embed', ...MODEL, '--batch-tokens', '1', '--no-colbert'], { stdin: first }))
        .stdout,
    );
    expect(Object.keys(small[0]!)).toEqual(['id', 'dense', 'lexical_weights']);
    small.forEach((line, i) => {
      expect(line.dense).toEqual(all[i]!.dense);
    });
    const denseOnly = jsonLines(
      (await run(['embed', ...MODEL, '--no-sparse', '--no-colbert'], { stdin: first })).stdout,
    );
    expect(Object.keys(denseOnly[0]!)).toEqual(['id', 'dense']);
    const none = await run(['embed', ...MODEL, '--no-dense', '--no-sparse', '--no-colbert'], {
      stdin: first,
    });
    expect(none.code).toBe(EXIT_CODES.usage);
    expect(none.stderr).toMatch(/nothing to compute/);
  });
});

describe('m3 ingest, m3 stats and m3 query on the embedded store', () => {
  it('ingests the sample, and a rerun encodes nothing and changes nothing', async () => {
    const first = await run(['ingest', SAMPLE, ...MODEL, '--json']);
    expect(first.code).toBe(EXIT_CODES.ok);
    const summary = JSON.parse(first.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      documents: 30,
      written: 30,
      chunks: 30,
      points: 30,
      skipped: 0,
      collection: 'm3kit',
    });
    const stats = await run(['stats', '--json']);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      points: 30,
      backend: 'exact',
      dimension: 32,
      signals: ['dense', 'sparse', 'colbert'],
    });
    const again = await run(['ingest', SAMPLE, ...MODEL]);
    expect(again.code).toBe(EXIT_CODES.ok);
    expect(again.stdout).toContain('points in the collection: 30');
    expect(again.stdout).toContain('wrote 0 new or changed documents (0 chunks, 0 tokens)');
    expect(again.stdout).toContain('30 unchanged, not encoded');
    expect(JSON.parse((await run(['stats', '--json'])).stdout).points).toBe(30);
    expect((await run(['stats'])).stdout).toMatch(/points:\s+30/);
    expect(JSON.parse((await run(['stats', '--json', '--filter', 'lang=ja'])).stdout).points).toBe(
      3,
    );
  });

  it('query prints a table with rank, id, scores and a snippet, and the execution path', async () => {
    const result = await run(['query', 'reset password', ...MODEL, '--top-k', '3']);
    expect(result.code).toBe(EXIT_CODES.ok);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^rank\s+score\s+dense\s+sparse\s+colbert\s+id\s+text$/);
    expect(
      lines
        .slice(1, 4)
        .every((line, i) => new RegExp(`^\\s*${i + 1}\\s+-?\\d\\.\\d{4}`).test(line)),
    ).toBe(true);
    expect(result.stdout).toMatch(
      /execution: fusion exact, colbert exact: exact: scored 30 documents/,
    );
  });

  it('query --json has hits with per-signal scores, metadata and execution; filters and modes apply', async () => {
    const result = await run([
      'query',
      'Passwort',
      ...MODEL,
      '--json',
      '--filter',
      'lang in de,es and year>=2021',
      '--fusion',
      'rrf',
      '-k',
      '4',
    ]);
    expect(result.code).toBe(EXIT_CODES.ok);
    const output = JSON.parse(result.stdout) as {
      hits: {
        rank: number;
        id: string;
        score: number;
        signalScores: Record<string, number>;
        metadata: Record<string, unknown>;
        text: string;
      }[];
      execution: { fusion: string; colbert: string; description: string };
      fusion: string;
    };
    expect(output.fusion).toBe('rrf');
    expect(output.hits).toHaveLength(4);
    expect(output.hits.map((h) => h.rank)).toEqual([1, 2, 3, 4]);
    for (const hit of output.hits) {
      expect(['de', 'es']).toContain(hit.metadata.lang);
      expect(Object.keys(hit.signalScores).sort()).toEqual(['colbert', 'dense', 'sparse']);
      expect(hit.text.length).toBeGreaterThan(0);
    }
    expect(output.execution).toMatchObject({ fusion: 'exact', colbert: 'exact' });
    const sparse = JSON.parse(
      (await run(['query', 'password', ...MODEL, '--json', '--mode', 'sparse', '-k', '2'])).stdout,
    );
    expect(Object.keys(sparse.hits[0].signalScores)).toEqual(['sparse']);
    expect(sparse.execution.fusion).toBe('none');
    const none = JSON.parse(
      (await run(['query', 'password', ...MODEL, '--json', '--filter', 'lang="en\\" or 1=1"']))
        .stdout,
    );
    expect(none.hits).toEqual([]);
  });

  it('one writer at a time per store file (a live lock refuses, a stale one is taken over); readers are not locked out', async () => {
    const lock = join(dir.path, '.m3kit', 'm3kit.m3store.lock');
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(lock, String(sleeper.pid));
      const busy = await run(['ingest', SAMPLE, ...MODEL]);
      expect(busy.code).toBe(EXIT_CODES.usage);
      expect(busy.stderr).toContain(`another m3 process (pid ${sleeper.pid}) is using`);
      const reader = await run(['stats', '--json']);
      expect(reader.code, reader.stderr).toBe(EXIT_CODES.ok);
      expect(JSON.parse(reader.stdout).points).toBe(30);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.on('close', resolve));
    }
    expect((await run(['ingest', SAMPLE, ...MODEL])).code).toBe(EXIT_CODES.ok);
    const after = await run(['stats', '--json']);
    expect(after.code).toBe(EXIT_CODES.ok);
    expect(existsSync(lock)).toBe(false);
  });

  it('query errors: no collection, wrong model, bad filter: exit 1 with a message and no stack', async () => {
    const missing = await run(['query', 'x', ...MODEL, '--collection', 'nothing_here']);
    expect(missing.code).toBe(EXIT_CODES.usage);
    expect(missing.stderr).toMatch(/no collection "nothing_here".*m3 ingest/);
    // A model directory whose config.json says 64: query compares dimensions before loading weights.
    const otherModel = join(dir.path, 'model-64');
    mkdirSync(otherModel, { recursive: true });
    writeFileSync(join(otherModel, 'config.json'), JSON.stringify({ hidden_size: 64 }));
    const wrongModel = await run(['query', 'x', '--model', otherModel]);
    expect(wrongModel.code).toBe(EXIT_CODES.usage);
    expect(wrongModel.stderr).toMatch(
      /holds 32-dimensional vectors but --model .*model-64 makes 64/,
    );
    const badFilter = await run(['query', 'x', ...MODEL, '--filter', 'lang=en or lang=de']);
    expect(badFilter.code).toBe(EXIT_CODES.usage);
    expect(badFilter.stderr).toMatch(/--filter: only "and"/);
    for (const result of [missing, wrongModel, badFilter])
      expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('m3 drop on the embedded store', () => {
  const collection = 'to_drop';
  const storeFile = (): string => join(dir.path, '.m3kit', `${collection}.m3store`);

  it('refuses without --yes and changes nothing; --yes drops it; a second drop has nothing to drop', async () => {
    expect(
      JSON.parse(
        (await run(['ingest', SAMPLE, ...MODEL, '--collection', collection, '--json'])).stdout,
      ).points,
    ).toBe(30);

    const refused = await run(['drop', '--collection', collection]);
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.stderr).toContain(
      `would drop collection "${collection}" (30 points) from memory (${storeFile()})`,
    );
    expect(refused.stderr).toMatch(/--yes/);
    expect(refused.stdout).toBe('');
    expect(existsSync(storeFile())).toBe(true);
    expect(
      JSON.parse((await run(['stats', '--json', '--collection', collection])).stdout).points,
    ).toBe(30);
    const sideFiles = (): string[] =>
      readdirSync(join(dir.path, '.m3kit')).filter(
        (name) => name.startsWith(`${collection}.m3store.`) && name.endsWith('.colbert'),
      );
    expect(sideFiles()).toHaveLength(1); // format 4: the ColBERT rows live beside the file

    const dropped = await run(['drop', '--collection', collection, '--yes']);
    expect(dropped.code, dropped.stderr).toBe(EXIT_CODES.ok);
    expect(dropped.stdout).toBe(
      `dropped collection "${collection}" (30 points) from memory (${storeFile()})\n`,
    );
    expect(existsSync(storeFile())).toBe(false);
    expect(sideFiles()).toEqual([]);
    const stats = await run(['stats', '--json', '--collection', collection]);
    expect(stats.code).toBe(EXIT_CODES.usage);
    expect(stats.stderr).toMatch(/no collection "to_drop"/);
    expect(existsSync(storeFile())).toBe(false);

    for (const argv of [['--yes'], []]) {
      const again = await run(['drop', '--collection', collection, ...argv]);
      expect(again.code).toBe(EXIT_CODES.ok);
      expect(again.stdout).toBe(
        `no collection "${collection}" in memory (${storeFile()}): nothing to drop\n`,
      );
    }
    const json = await run(['drop', '--collection', collection, '--yes', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ dropped: null, points: 0 });
  });

  it('after a drop, ingest writes everything again (the store is the record of what is done)', async () => {
    expect((await run(['ingest', SAMPLE, ...MODEL, '--collection', collection])).code).toBe(
      EXIT_CODES.ok,
    );
    expect((await run(['drop', '--collection', collection, '--yes'])).code).toBe(EXIT_CODES.ok);
    const ingested = await run(['ingest', SAMPLE, ...MODEL, '--collection', collection, '--json']);
    expect(ingested.code, ingested.stderr).toBe(EXIT_CODES.ok);
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      documents: 30,
      written: 30,
      unchanged: 0,
      points: 30,
    });
    const json = await run(['drop', '--collection', collection, '--yes', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      dropped: collection,
      points: 30,
      store: `memory (${storeFile()})`,
    });
  });

  it("refuses while another process holds the store file's lock, and leaves the file", async () => {
    expect((await run(['ingest', SAMPLE, ...MODEL, '--collection', collection])).code).toBe(
      EXIT_CODES.ok,
    );
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(`${storeFile()}.lock`, String(sleeper.pid));
      const busy = await run(['drop', '--collection', collection, '--yes']);
      expect(busy.code).toBe(EXIT_CODES.usage);
      expect(busy.stderr).toContain(`another m3 process (pid ${sleeper.pid}) is using`);
      expect(existsSync(storeFile())).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.on('close', resolve));
    }
    expect((await run(['drop', '--collection', collection, '--yes'])).code).toBe(EXIT_CODES.ok);
    expect(existsSync(storeFile())).toBe(false);
  });

  it('a server that is down exits 3 and never prints the credentials; a stray argument exits 1', async () => {
    const down = await run([
      'drop',
      '--store',
      'qdrant://127.0.0.1:9/docs',
      '--api-key',
      'drop-secret-key',
      '--yes',
      '--verbose',
    ]);
    expect(down.code).toBe(EXIT_CODES.backend);
    expect(down.stderr).toMatch(/qdrant/);
    expect(down.stderr + down.stdout).not.toContain('drop-secret-key');
    const stray = await run(['drop', 'to_drop', '--yes']);
    expect(stray.code).toBe(EXIT_CODES.usage);
    expect(stray.stderr).toMatch(
      /unexpected argument "to_drop": name the collection with --collection/,
    );
  });
});

describe('m3 on a damaged embedded store file', () => {
  it('stats and ingest skip a damaged line naming the file and byte offset, drop always works, stats --repair writes a clean file', async () => {
    const collection = 'damaged';
    const file = join(dir.path, '.m3kit', `${collection}.m3store`);
    expect(
      (
        await run([
          'ingest',
          SAMPLE,
          ...MODEL,
          '--collection',
          collection,
          '--batch-documents',
          '10',
        ])
      ).code,
    ).toBe(EXIT_CODES.ok);
    const bytes = readFileSync(file);
    const starts = [...bytes.entries()].filter(([, b]) => b === 0x0a).map(([i]) => i + 1);
    const offset = starts[1]!; // the second write line (documents 11-20)
    bytes[offset + 100] = bytes[offset + 100]! ^ 0x01;
    writeFileSync(file, bytes);
    const stats = await run(['stats', '--json', '--collection', collection]);
    expect(stats.code, stats.stderr).toBe(EXIT_CODES.ok);
    expect(stats.stderr).toContain(
      `${file}: byte offset ${offset}: damaged record: checksum mismatch`,
    );
    expect(JSON.parse(stats.stdout).points).toBe(20);
    const rerun = await run(['ingest', SAMPLE, ...MODEL, '--collection', collection, '--json']);
    expect(rerun.stderr).toContain(`byte offset ${offset}`);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ written: 10, unchanged: 20, points: 30 });
    const repaired = await run(['stats', '--repair', '--collection', collection]);
    expect(repaired.stderr).toMatch(/repaired .*1 damaged line\(s\) left out, 30 records kept/);
    const clean = await run(['stats', '--json', '--collection', collection]);
    expect(clean.stderr).not.toContain('byte offset');
    expect(JSON.parse(clean.stdout).points).toBe(30);
    writeFileSync(
      file,
      Buffer.concat([readFileSync(file).subarray(0, 200), Buffer.from([0xff, 0x00, 0x12])]),
    );
    const dropped = await run(['drop', '--collection', collection, '--yes']);
    expect(dropped.code, dropped.stderr).toBe(EXIT_CODES.ok);
    expect(existsSync(file)).toBe(false);
  });
});

describe('m3 ingest of every input kind', () => {
  it('JSONL, CSV, Markdown and a folder: bad lines and binary files reported with file and line, the rest ingested, exit 2', async () => {
    const data = join(dir.path, 'mixed');
    mkdirSync(join(data, 'notes'), { recursive: true });
    writeFileSync(
      join(data, 'a.jsonl'),
      '{"id":"j1","text":"first line","lang":"en"}\n{"id":"j2","text":broken}\n{"id":"j3","text":"third line","lang":"de"}\n',
    );
    writeFileSync(join(data, 'b.csv'), 'id,text,lang\nc1,"comma, inside",en\nc2,only two\n');
    writeFileSync(join(data, 'notes', 'readme.md'), '# Notes\n\nMarkdown body text.');
    writeFileSync(join(data, 'notes', 'blob.bin'), Buffer.from([1, 2, 0, 3]));
    const result = await run(['ingest', 'mixed', ...MODEL, '--collection', 'mixed']);
    expect(result.code).toBe(EXIT_CODES.skipped);
    expect(result.stderr).toContain(`skipped: ${join('mixed', 'a.jsonl')}:2: not valid JSON`);
    expect(result.stderr).toContain(
      `skipped: ${join('mixed', 'b.csv')}:3: has 2 fields, the header has 3`,
    );
    expect(result.stderr).toContain(`skipped: ${join('mixed', 'notes', 'blob.bin')}: binary file`);
    expect(result.stdout).toMatch(/skipped: 3/);
    expect(
      JSON.parse((await run(['stats', '--json', '--collection', 'mixed'])).stdout).points,
    ).toBe(4);
    const hit = JSON.parse(
      (
        await run([
          'query',
          'Markdown body',
          ...MODEL,
          '--collection',
          'mixed',
          '--json',
          '--filter',
          'has:title',
        ])
      ).stdout,
    );
    expect(hit.hits.map((h: { id: string }) => h.id)).toEqual([
      expect.stringMatching(/^notes\/readme\.md#[0-9a-f]{16}#0$/),
    ]);

    const single = await run([
      'ingest',
      join('mixed', 'b.csv'),
      ...MODEL,
      '--collection',
      'csv_only',
      '--json',
    ]);
    expect(JSON.parse(single.stdout)).toMatchObject({ documents: 1, skipped: 1, points: 1 });
    const markdown = await run([
      'ingest',
      join('mixed', 'notes', 'readme.md'),
      ...MODEL,
      '--collection',
      'md_only',
    ]);
    expect(markdown.code).toBe(EXIT_CODES.ok);
  });

  it('--on-error stop ends at the first bad line (exit 1, nothing after it written); --json lists the issues', async () => {
    writeFileSync(
      join(dir.path, 'stop.jsonl'),
      '{"id":"s1","text":"fine"}\n{"id":"s2"}\n{"id":"s3","text":"after"}\n',
    );
    const stopped = await run([
      'ingest',
      'stop.jsonl',
      ...MODEL,
      '--collection',
      'stop',
      '--on-error',
      'stop',
    ]);
    expect(stopped.code).toBe(EXIT_CODES.usage);
    expect(stopped.stderr).toMatch(
      /stopped at the first bad input \(--on-error stop\): stop.jsonl:2: no "text" string/,
    );
    expect(
      JSON.parse((await run(['stats', '--json', '--collection', 'stop'])).stdout).points,
    ).toBeLessThan(3);
    const skipped = await run(['ingest', 'stop.jsonl', ...MODEL, '--collection', 'stop', '--json']);
    expect(skipped.code).toBe(EXIT_CODES.skipped);
    expect(JSON.parse(skipped.stdout)).toMatchObject({
      documents: 2,
      points: 2,
      skipped: 1,
      issues: [{ file: 'stop.jsonl', line: 2, message: 'no "text" string', severity: 'skipped' }],
    });
  });

  it('chunks long documents with --max-tokens/--overlap, ids docId#fingerprint#n', async () => {
    const long = Array.from(
      { length: 60 },
      (_, i) => `sentence number ${i} about search engines.`,
    ).join(' ');
    writeFileSync(join(dir.path, 'long.jsonl'), `${JSON.stringify({ id: 'long', text: long })}\n`);
    const result = await run([
      'ingest',
      'long.jsonl',
      ...MODEL,
      '--collection',
      'chunks',
      '--max-tokens',
      '64',
      '--overlap',
      '8',
      '--json',
    ]);
    const summary = JSON.parse(result.stdout);
    expect(summary.documents).toBe(1);
    expect(summary.chunks).toBeGreaterThan(4);
    const hits = JSON.parse(
      (
        await run([
          'query',
          'sentence number 59',
          ...MODEL,
          '--collection',
          'chunks',
          '--json',
          '-k',
          '100',
        ])
      ).stdout,
    ).hits;
    const ids = hits.map((h: { id: string }) => h.id).sort();
    const fingerprint = ids[0].split('#')[1];
    expect(ids).toEqual(
      Array.from({ length: summary.chunks }, (_, i) => `long#${fingerprint}#${i}`).sort(),
    );
    const bad = await run([
      'ingest',
      'long.jsonl',
      ...MODEL,
      '--collection',
      'chunks',
      '--max-tokens',
      '64',
      '--overlap',
      '64',
    ]);
    expect(bad.code).toBe(EXIT_CODES.usage);
    expect(bad.stderr).toMatch(/overlap/);
  });

  it('reads stdin, shows a progress bar with rate and ETA on a terminal and plain lines otherwise', async () => {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ id: `s${i}`, text: `document ${i} from standard input` }),
    ).join('\n');
    const tty = await run(
      ['ingest', '-', ...MODEL, '--collection', 'stdin_docs', '--batch-documents', '4'],
      { stdin: lines, tty: true },
    );
    expect(tty.code).toBe(EXIT_CODES.ok);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress line's ANSI escape (ESC [2K) is what is checked.
    expect(tty.stderr).toMatch(/\r\x1b\[2K.*documents, .*chunks written, .*tokens\/s/);
    writeFileSync(join(dir.path, 'plain.jsonl'), lines);
    const plain = await run([
      'ingest',
      'plain.jsonl',
      ...MODEL,
      '--collection',
      'plain_docs',
      '--batch-documents',
      '4',
      '--progress-interval',
      '0',
    ]);
    expect(plain.stderr).toMatch(
      /^progress: \d+\/40 documents, \d+ chunks written, [\d,]+ tokens\/s, \d+s elapsed, ETA \d+s$/m,
    );
    expect(plain.stderr).not.toContain('\r');
  });
});

describe('usage and exit codes', () => {
  it('--help for every command, with examples', async () => {
    for (const command of ['ingest', 'query', 'stats', 'drop', 'embed', 'tokenize']) {
      const result = await run([command, '--help']);
      expect(result.code).toBe(EXIT_CODES.ok);
      expect(result.stdout).toMatch(new RegExp(`Usage: m3 ${command}`));
      expect(result.stdout).toContain('Examples:');
    }
    expect((await run(['--help'])).stdout).toContain('Commands:');
    expect((await run([])).code).toBe(EXIT_CODES.usage);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['ingest'], /give the input/],
    [['ingest', 'x.jsonl', '--bogus'], /Unknown option '--bogus'/],
    [['query', 'x', '--mode', 'fuzzy'], /--mode must be one of dense, sparse, colbert, hybrid/],
    [['query', 'x', '--top-k', 'ten'], /--top-k must be a whole number/],
    [['ingest', SAMPLE, '--model', 'no/such/dir/here'], /no such directory/],
    [['ingest', SAMPLE, '--store', 'redis://localhost/x'], /unknown scheme/],
  ])('%j exits 1 with a message, no stack', async (argv, message) => {
    const result = await run(argv as string[]);
    expect(result.code).toBe(EXIT_CODES.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a backend that is down exits 3 and says how to resume; --verbose shows the causes', async () => {
    const result = await run([
      'ingest',
      SAMPLE,
      ...MODEL,
      '--store',
      'qdrant://127.0.0.1:9/docs',
      '--verbose',
    ]);
    expect(result.code).toBe(EXIT_CODES.backend);
    expect(result.stderr).toMatch(/qdrant/);
    expect(result.stderr).toMatch(/run the same command again to resume/);
    expect(result.stderr).toMatch(/caused by/);
  });
});
