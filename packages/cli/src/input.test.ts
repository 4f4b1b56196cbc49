import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { M3Document } from '@m3kit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCsv } from './input/csv-reader.js';
import {
  estimateDocuments,
  readDocuments,
  type InputIssue,
  type InputOptions,
} from './input/documents.js';
import { readLines } from './input/line-reader.js';
import { temporaryDirectory } from './test-support/run-cli.js';

let dir: { path: string; remove: () => void };
beforeEach(() => {
  dir = temporaryDirectory('m3input-');
});
afterEach(() => dir.remove());

async function read(
  path: string,
  extra: Partial<InputOptions> = {},
): Promise<{ documents: M3Document[]; issues: InputIssue[] }> {
  const issues: InputIssue[] = [];
  const documents: M3Document[] = [];
  const options: InputOptions = {
    path,
    idField: 'id',
    textField: 'text',
    cwd: dir.path,
    stdin: Readable.from([]),
    maxFileBytes: 1 << 20,
    onIssue: (issue) => issues.push(issue),
    command: 'ingest',
    ...extra,
  };
  for await (const document of readDocuments(options)) documents.push(document);
  return { documents, issues };
}

function chunked(text: string | Buffer, size: number): Readable {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

describe('line reader', () => {
  it('splits across chunk boundaries, strips CR and BOM, flags invalid UTF-8 per line', async () => {
    const bytes = Buffer.concat([
      Buffer.from('\ufeffone\r\nzwei 日本\n'),
      Buffer.from([0x62, 0xff, 0x0a]),
      Buffer.from('last'),
    ]);
    const lines = [];
    for await (const line of readLines(chunked(bytes, 3))) lines.push(line);
    expect(lines).toEqual([
      { number: 1, text: 'one' },
      { number: 2, text: 'zwei 日本' },
      { number: 3, error: 'not valid UTF-8' },
      { number: 4, text: 'last' },
    ]);
  });
});

describe('CSV reader', () => {
  it('reads quotes, doubled quotes, embedded newlines and CRLF, numbering records by their first line', async () => {
    const text = 'id,text,n\r\na,"hello, ""world""",1\r\nb,"two\nlines",2\n\nc,plain,\n';
    const rows = [];
    for await (const row of readCsv(chunked(text, 4))) rows.push(row);
    expect(rows).toEqual([
      { line: 1, fields: ['id', 'text', 'n'] },
      { line: 2, fields: ['a', 'hello, "world"', '1'] },
      { line: 3, fields: ['b', 'two\nlines', '2'] },
      { line: 6, fields: ['c', 'plain', ''] },
    ]);
  });
});

describe('readDocuments', () => {
  it('JSONL: other keys become metadata; malformed lines are reported with file and line', async () => {
    writeFileSync(
      join(dir.path, 'docs.jsonl'),
      [
        '{"id":"a","text":"alpha","lang":"en","tags":["x","y"],"year":2021,"metadata":{"source":"wiki"}}',
        '{"id":"b","text":"beta"',
        '',
        '["not","an","object"]',
        '{"text":"no id"}',
        '{"id":"c","text":"   "}',
        '{"id":"d#1","text":"hash in id"}',
        '{"id":7,"text":"numeric id","bad-name":1,"nested":{"a":1}}',
        '{"id":"e","text":"lone \\ud800 surrogate"}',
      ].join('\n'),
    );
    const { documents, issues } = await read('docs.jsonl');
    expect(documents).toEqual([
      {
        id: 'a',
        text: 'alpha',
        metadata: { lang: 'en', tags: ['x', 'y'], year: 2021, source: 'wiki' },
      },
      { id: '7', text: 'numeric id', metadata: {} },
    ]);
    const skipped = issues
      .filter((i) => i.severity === 'skipped')
      .map((i) => `${i.file}:${i.line}`);
    expect(skipped).toEqual([
      'docs.jsonl:2',
      'docs.jsonl:4',
      'docs.jsonl:5',
      'docs.jsonl:6',
      'docs.jsonl:7',
      'docs.jsonl:9',
    ]);
    expect(issues.find((i) => i.line === 2)?.message).toMatch(/not valid JSON/);
    expect(issues.filter((i) => i.severity === 'warning').map((i) => i.message)).toEqual([
      expect.stringMatching(/field "bad-name".*dropped/),
      expect.stringMatching(/field "nested".*dropped/),
    ]);
  });

  it('CSV: configurable id/text columns, typed cells, wrong field counts reported', async () => {
    writeFileSync(
      join(dir.path, 'items.csv'),
      'sku,description,price,code,active\nA1,"Red, round",12.5,007,true\nA2,Blue\nA3,Green square,3,,false\n',
    );
    const { documents, issues } = await read('items.csv', {
      idField: 'sku',
      textField: 'description',
    });
    expect(documents).toEqual([
      { id: 'A1', text: 'Red, round', metadata: { price: 12.5, code: '007', active: true } },
      { id: 'A3', text: 'Green square', metadata: { price: 3, active: false } },
    ]);
    expect(issues).toEqual([
      {
        file: 'items.csv',
        line: 3,
        message: 'has 2 fields, the header has 5',
        severity: 'skipped',
      },
    ]);
    const missing = await read('items.csv');
    expect(missing.documents).toEqual([]);
    expect(missing.issues[0]?.message).toMatch(/no "id" or "text" column/);
  });

  it('folders: sorted, ids are relative paths, binary and non-UTF-8 files reported, dot files passed over', async () => {
    mkdirSync(join(dir.path, 'docs', 'guide'), { recursive: true });
    mkdirSync(join(dir.path, 'docs', '.git'));
    writeFileSync(
      join(dir.path, 'docs', 'b.md'),
      '---\nlang: de\ntags: [faq, setup]\nyear: 2024\n---\n# Einrichtung\n\nSo geht es.',
    );
    writeFileSync(join(dir.path, 'docs', 'a.txt'), 'plain text');
    writeFileSync(join(dir.path, 'docs', 'guide', 'c #1.md'), 'hash in the name');
    writeFileSync(
      join(dir.path, 'docs', 'guide', 'image.png'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
    );
    writeFileSync(
      join(dir.path, 'docs', 'guide', 'latin1.txt'),
      Buffer.from('caf\xe9\n', 'latin1'),
    );
    writeFileSync(
      join(dir.path, 'docs', 'guide', 'rows.jsonl'),
      '{"id":"r1","text":"from jsonl"}\n',
    );
    writeFileSync(join(dir.path, 'docs', '.git', 'HEAD'), 'ref');
    const { documents, issues } = await read('docs');
    expect(documents.map((d) => d.id)).toEqual(['a.txt', 'b.md', 'guide/c %231.md', 'r1']);
    expect(documents[1]).toEqual({
      id: 'b.md',
      text: '# Einrichtung\n\nSo geht es.',
      metadata: {
        title: 'Einrichtung',
        lang: 'de',
        tags: ['faq', 'setup'],
        year: 2024,
        path: 'b.md',
        format: 'markdown',
      },
    });
    expect(issues).toEqual([
      {
        file: join('docs', 'guide', 'image.png'),
        message: 'binary file (contains NUL bytes)',
        severity: 'skipped',
      },
      {
        file: join('docs', 'guide', 'latin1.txt'),
        message: 'not valid UTF-8 (first invalid byte on line 1)',
        severity: 'skipped',
      },
    ]);
    expect(
      await estimateDocuments({
        path: 'docs',
        idField: 'id',
        textField: 'text',
        cwd: dir.path,
        stdin: Readable.from([]),
        maxFileBytes: 1 << 20,
        onIssue: () => {},
        command: 'ingest',
      }),
    ).toBe(6);
  });

  it('stdin as JSONL by default, or as another --format', async () => {
    const fromJsonl = await read('-', {
      stdin: Readable.from([Buffer.from('{"id":"s","text":"from stdin"}\n')]),
    });
    expect(fromJsonl.documents).toEqual([{ id: 's', text: 'from stdin', metadata: {} }]);
    const fromCsv = await read('-', {
      format: 'csv',
      stdin: Readable.from([Buffer.from('id,text\nx,y\n')]),
    });
    expect(fromCsv.documents).toEqual([{ id: 'x', text: 'y', metadata: {} }]);
  });

  it('a missing input is a usage error', async () => {
    await expect(read('nope.jsonl')).rejects.toThrowError(/nope.jsonl: no such file or folder/);
  });
});
