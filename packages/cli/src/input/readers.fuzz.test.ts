import { Readable } from 'node:stream';
import { fuzzParameters } from '@m3kit/core/conformance';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCsv } from './csv-reader.js';
import {
  readLocatedDocuments,
  type InputFormat,
  type InputIssue,
  type LocatedDocument,
} from './documents.js';
import { readLines } from './line-reader.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Cuts bytes into chunks at the given fractions: readers must not care where a chunk ends. */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) chunks.push(bytes.subarray(start, point));
    start = Math.max(start, point);
  }
  return chunks;
}

async function readStdin(
  format: InputFormat,
  chunks: readonly Buffer[],
): Promise<{ documents: LocatedDocument[]; issues: InputIssue[] }> {
  const documents: LocatedDocument[] = [];
  const issues: InputIssue[] = [];
  for await (const located of readLocatedDocuments({
    path: '-',
    format,
    idField: 'id',
    textField: 'text',
    cwd: process.cwd(),
    stdin: Readable.from(chunks),
    maxFileBytes: 1 << 24,
    onIssue: (issue) => issues.push(issue),
    command: 'ingest',
  })) {
    documents.push(located);
  }
  return { documents, issues };
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });
/** Ids and texts the readers must pass through unchanged (no "#", not blank, well-formed). */
const cleanId = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((id) => !id.includes('#') && id.trim() === id && id.length > 0);
const cleanText = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    fc.constantFrom(
      'NUL \u0000 inside',
      'RTL مرحبا עברית',
      'ZWJ 👨\u200d👩\u200d👧',
      'e\u0301\u0301 combining',
      'a\r\nb',
      '"quoted", with comma',
      '\ufeffinner BOM',
    ),
  )
  .filter((text) => text.trim().length > 0);
const garbageBytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0x41]),
    Buffer.from([0xc3]), // a truncated 2-byte sequence
    Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
    Buffer.from('{"id": 1, "text": 2}'),
    Buffer.from('{"id": "x#1", "text": "hash in id"}'),
    Buffer.from('["an", "array"]'),
    Buffer.from('{"id": "ok", "text": "   "}'),
    Buffer.from('\u0000\u0000'),
  ),
);

type JsonlLine = { kind: 'record'; id: string; text: string } | { kind: 'garbage'; bytes: Buffer };

const jsonlLine: fc.Arbitrary<JsonlLine> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('record' as const), id: cleanId, text: cleanText }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: garbageBytes }),
  },
);

describe('JSONL reader under fuzzing', () => {
  it('yields every good line with its line number and reports every other non-blank line; none lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(jsonlLine, { maxLength: 12 }),
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        cuts,
        async (lines, bom, eol, trailing, cutPoints) => {
          const encoded = lines.map((line) =>
            line.kind === 'record'
              ? Buffer.from(JSON.stringify({ id: line.id, text: line.text, n: 1 }))
              : line.bytes,
          );
          const parts: Buffer[] = bom ? [BOM] : [];
          encoded.forEach((bytes, i) => {
            if (i > 0) parts.push(Buffer.from(eol));
            parts.push(bytes);
          });
          if (trailing) parts.push(Buffer.from(eol));
          const input = Buffer.concat(parts);
          const { documents, issues } = await readStdin('jsonl', chunked(input, cutPoints));
          // Which physical line each encoded line lands on: garbage may hold its own newlines.
          let lineNumber = 1;
          const startLines = encoded.map((bytes) => {
            const start = lineNumber;
            lineNumber += bytes.filter((b) => b === 0x0a).length + 1;
            return start;
          });
          const yieldedLines = new Set(documents.map((d) => d.line));
          const reportedLines = new Set(
            issues.filter((i) => i.severity === 'skipped').map((i) => i.line),
          );
          lines.forEach((line, i) => {
            const at = startLines[i]!;
            if (line.kind === 'record') {
              const document = documents.find((d) => d.line === at);
              expect(document?.document.id, `line ${at}`).toBe(line.id);
              expect(document?.document.text).toBe(line.text);
              expect(document?.document.metadata).toEqual({ n: 1 });
            }
          });
          // Every physical line is a document, a reported skip or blank: nothing silently lost.
          const physical = input.toString('latin1').split('\n');
          physical.forEach((raw, index) => {
            const number = index + 1;
            const bytes = Buffer.from(raw, 'latin1');
            let text: string | undefined;
            try {
              text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
            } catch {
              text = undefined;
            }
            const blank = text !== undefined && text.replace(/^\ufeff/, '').trim() === '';
            if (blank) return;
            expect(
              yieldedLines.has(number) || reportedLines.has(number),
              `line ${number} (${JSON.stringify(raw.slice(0, 40))}) neither yielded nor reported`,
            ).toBe(true);
          });
          expect(documents.length + reportedLines.size).toBeLessThanOrEqual(physical.length);
        },
      ),
      fuzzParameters(300),
    );
  });

  it('reads lines longer than any chunk, and a 4 MB line, whole', async () => {
    const text = 'x'.repeat(4 * 1024 * 1024);
    const input = Buffer.from(`${JSON.stringify({ id: 'big', text })}\n{"id":"next","text":"t"}\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < input.length; i += 65_536) chunks.push(input.subarray(i, i + 65_536));
    const { documents, issues } = await readStdin('jsonl', chunks);
    expect(issues).toEqual([]);
    expect(documents.map((d) => [d.document.id, d.line, d.document.text?.length])).toEqual([
      ['big', 1, text.length],
      ['next', 2, 1],
    ]);
  });
});

/** A CSV cell, quoted when it must be (or when the generator says so). */
function csvCell(value: string, quote: boolean, delimiter: string): string {
  const needs = /["\r\n]/.test(value) || value.includes(delimiter) || value.trim() !== value;
  return quote || needs ? `"${value.replaceAll('"', '""')}"` : value;
}

describe('CSV/TSV reader under fuzzing', () => {
  it('yields every clean row with its start line; a BOM, CRLF, quotes and chunking change nothing', async () => {
    const row = fc.record({ id: cleanId, text: cleanText, extra: fc.string({ maxLength: 10 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 10 }),
        fc.constantFrom('csv' as const, 'tsv' as const),
        fc.boolean(),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        cuts,
        async (rows, format, bom, eol, quoteHeader, quoteAll, cutPoints) => {
          const delimiter = format === 'tsv' ? '\t' : ',';
          const header = ['id', 'text', 'extra'].map((name) =>
            csvCell(name, quoteHeader, delimiter),
          );
          const lines = [
            header.join(delimiter),
            ...rows.map((r) =>
              [r.id, r.text, r.extra].map((v) => csvCell(v, quoteAll, delimiter)).join(delimiter),
            ),
          ];
          const input = Buffer.concat([
            bom ? BOM : Buffer.alloc(0),
            Buffer.from(lines.join(eol) + eol),
          ]);
          const { documents, issues } = await readStdin(format, chunked(input, cutPoints));
          expect(
            issues.filter((i) => i.severity === 'skipped'),
            JSON.stringify(issues),
          ).toEqual([]);
          let line = 1 + (lines[0]!.match(/\n/g)?.length ?? 0) + 1;
          const expected = rows.map((r, i) => {
            const at = line;
            line += (lines[i + 1]!.match(/\n/g)?.length ?? 0) + 1;
            return [r.id, r.text, at];
          });
          expect(documents.map((d) => [d.document.id, d.document.text, d.line])).toEqual(expected);
        },
      ),
      fuzzParameters(300),
    );
  });

  it('on arbitrary bytes: rows or a reported error with a line, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            garbageBytes,
            fc.constantFrom(
              Buffer.from('"'),
              Buffer.from(','),
              Buffer.from('\r\n'),
              Buffer.from('""'),
            ),
          ),
          { maxLength: 12 },
        ),
        cuts,
        async (pieces, cutPoints) => {
          const input = Buffer.concat([Buffer.from('id,text\n'), ...pieces]);
          const { issues } = await readStdin('csv', chunked(input, cutPoints));
          for (const issue of issues) {
            expect(issue.file).toBe('<stdin>');
            if (issue.severity === 'skipped' && !/read failed/.test(issue.message))
              expect(issue.line, issue.message).toBeGreaterThan(0);
          }
        },
      ),
      fuzzParameters(300),
    );
  });
});

describe('line and CSV primitives under fuzzing', () => {
  it('readLines: one entry per line, numbered from 1, decoded or reported, for any bytes and chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), cuts, async (bytes, cutPoints) => {
        const input = Buffer.from(bytes);
        const numbers: number[] = [];
        for await (const line of readLines(Readable.from(chunked(input, cutPoints)))) {
          numbers.push(line.number);
          if (line.text !== undefined) expect(line.text.isWellFormed()).toBe(true);
        }
        const expected =
          input.length === 0
            ? 0
            : input.toString('latin1').split('\n').length - (input.at(-1) === 0x0a ? 1 : 0);
        expect(numbers).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      }),
      fuzzParameters(500),
    );
  });

  it('readCsv: never throws anything but its typed CsvReadError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), cuts, async (bytes, cutPoints) => {
        try {
          for await (const row of readCsv(Readable.from(chunked(Buffer.from(bytes), cutPoints)))) {
            expect(row.line).toBeGreaterThan(0);
          }
        } catch (error) {
          expect((error as Error).name, String(error)).toBe('CsvReadError');
        }
      }),
      fuzzParameters(500),
    );
  });
});

describe('Markdown and text readers under fuzzing', () => {
  it('one document or one reported skip per file, whatever its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
          fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s)),
          fc
            .string({ unit: 'grapheme', maxLength: 80 })
            .map((s) => Buffer.from(`---\ntitle: t\n---\n# ${s}`)),
        ),
        fc.constantFrom('markdown' as const, 'text' as const),
        fc.boolean(),
        cuts,
        async (body, format, bom, cutPoints) => {
          const input = bom ? Buffer.concat([BOM, body]) : body;
          const { documents, issues } = await readStdin(format, chunked(input, cutPoints));
          const skipped = issues.filter((i) => i.severity === 'skipped');
          expect(documents.length + skipped.length, JSON.stringify(issues)).toBe(1);
          if (format === 'text' && documents.length === 1)
            expect(documents[0]!.document.text).toBe(new TextDecoder().decode(input));
        },
      ),
      fuzzParameters(300),
    );
  });
});

// Counterexamples the fuzzer found, kept as plain tests.
describe('reader regressions', () => {
  it('reads a quoted CSV header after a byte order mark (the file was skipped for "no id column")', async () => {
    const input = Buffer.concat([BOM, Buffer.from('"id","text"\r\n"a","hello"\r\n')]);
    // Also with the BOM split across chunks.
    for (const chunks of [
      [input],
      [input.subarray(0, 1), input.subarray(1, 2), input.subarray(2)],
    ]) {
      const { documents, issues } = await readStdin('csv', chunks);
      expect(issues).toEqual([]);
      expect(documents.map((d) => [d.document.id, d.document.text, d.line])).toEqual([
        ['a', 'hello', 2],
      ]);
    }
  });

  it('keeps the bytes of a CSV stream shorter than a byte order mark', async () => {
    const rows = [];
    for await (const row of readCsv(Readable.from([Buffer.from([0xef, 0xbb])]))) rows.push(row);
    expect(rows).toEqual([{ line: 1, error: 'not valid UTF-8 (field 1)' }]);
  });
});
