import { createReadStream } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { M3Document, Metadata } from '@m3kit/core';
import { UsageError } from '../usage-error.js';
import { CsvReadError, readCsv } from './csv-reader.js';
import { readLines } from './line-reader.js';
import { csvValue, markdownTitle, splitFrontMatter, toMetadata } from './metadata.js';

export const INPUT_FORMATS = ['jsonl', 'csv', 'tsv', 'markdown', 'text'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** Something in the input that did not become a document (`skipped`) or lost a part (`warning`). */
export interface InputIssue {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
  readonly severity: 'skipped' | 'warning';
}

export interface InputOptions {
  /** A file, a folder, or `-` for stdin. */
  readonly path: string;
  /** Overrides the format the file extension implies (and sets stdin's, default jsonl). */
  readonly format?: InputFormat | undefined;
  /** JSONL key / CSV column of the document id and of its text. */
  readonly idField: string;
  readonly textField: string;
  readonly cwd: string;
  readonly stdin: Readable;
  /** Larger Markdown or text files are skipped (each is one document, read whole). */
  readonly maxFileBytes: number;
  readonly onIssue: (issue: InputIssue) => void;
  /** The command, for usage errors. */
  readonly command: string;
}

interface Source {
  /** Absolute path, or undefined for stdin. */
  readonly path: string | undefined;
  /** As printed in messages: relative to the current directory when inside it. */
  readonly display: string;
  /** The id of a whole-file document: its path relative to the folder given (or its name). */
  readonly relativeId: string;
  readonly format: InputFormat;
}

/** The format a file name implies: .jsonl/.ndjson, .csv, .tsv, .md/.markdown, else text. */
export function formatOf(name: string): InputFormat {
  const extension = extname(name).toLowerCase();
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  if (extension === '.csv') return 'csv';
  if (extension === '.tsv') return 'tsv';
  if (extension === '.md' || extension === '.markdown' || extension === '.mdx') return 'markdown';
  return 'text';
}

/**
 * The input as documents, in a fixed order (folders walked in sorted order), so a checkpoint's
 * "first N documents are written" means the same documents on every run:
 * - JSONL: one object per line; `id` and `text` (names configurable), the other keys become
 *   metadata; malformed lines are reported with file and line and left out.
 * - CSV/TSV: a header row, then one document per row; the other columns become metadata.
 * - Markdown and text: one document per file, id = the path relative to the folder given
 *   (`#` written as `%23`, since chunk ids are `docId#n`); front matter becomes metadata.
 * - Folders: every file below, recursively; dot files and folders are passed over. Binary and
 *   non-UTF-8 files are reported and skipped.
 */
export async function* readDocuments(options: InputOptions): AsyncGenerator<M3Document> {
  for await (const located of readLocatedDocuments(options)) yield located.document;
}

/** A document and where it was read: the file as printed, and the line it starts on (none for whole files). */
export interface LocatedDocument {
  readonly document: M3Document;
  readonly file: string;
  readonly line?: number;
}

/** `readDocuments`, each document with its place in the input (for messages such as duplicate ids). */
export async function* readLocatedDocuments(
  options: InputOptions,
): AsyncGenerator<LocatedDocument> {
  for await (const source of listSources(options)) yield* readSource(source, options);
}

/** A quick count of the documents the input holds (for the progress bar's ETA); undefined for stdin. */
export async function estimateDocuments(options: InputOptions): Promise<number | undefined> {
  if (options.path === '-') return undefined;
  let total = 0;
  for await (const source of listSources({ ...options, onIssue: () => {} })) {
    if (source.format === 'markdown' || source.format === 'text') {
      total++;
      continue;
    }
    const lines = await countLines(source.path!);
    total += source.format === 'jsonl' ? lines : Math.max(0, lines - 1);
  }
  return total;
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  let content = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (content) lines++;
        content = false;
      } else if (byte !== 0x20 && byte !== 0x0d && byte !== 0x09) {
        content = true;
      }
    }
  }
  return content ? lines + 1 : lines;
}

async function* listSources(options: InputOptions): AsyncGenerator<Source> {
  if (options.path === '-') {
    yield {
      path: undefined,
      display: '<stdin>',
      relativeId: 'stdin',
      format: options.format ?? 'jsonl',
    };
    return;
  }
  const root = isAbsolute(options.path) ? options.path : resolve(options.cwd, options.path);
  let info: Stats;
  try {
    info = await stat(root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${options.path}: ${code === 'ENOENT' ? 'no such file or folder' : `cannot read (${code})`}`,
      {
        command: options.command,
        cause: error,
      },
    );
  }
  const display = (path: string): string => {
    const fromCwd = relative(options.cwd, path);
    return fromCwd === '' || fromCwd.startsWith('..') || isAbsolute(fromCwd) ? path : fromCwd;
  };
  if (!info.isDirectory()) {
    yield {
      path: root,
      display: display(root),
      relativeId: basename(root),
      format: options.format ?? formatOf(root),
    };
    return;
  }
  for await (const file of walk(root, options)) {
    const relativeId = relative(root, file).split('\\').join('/');
    yield {
      path: file,
      display: display(file),
      relativeId,
      format: options.format ?? formatOf(file),
    };
  }
}

/** Files below a folder in sorted order (code-unit order: the same on every machine and locale). */
async function* walk(folder: string, options: InputOptions): AsyncGenerator<string> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    options.onIssue({
      file: folder,
      message: `cannot read folder (${(error as NodeJS.ErrnoException).code})`,
      severity: 'skipped',
    });
    return;
  }
  const names = entries
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      yield* walk(path, options);
    } else if (entry.isFile()) {
      yield path;
    } else if (entry.isSymbolicLink()) {
      // A linked file is read; a linked folder is not followed (it could loop).
      const target = await stat(path).catch(() => undefined);
      if (target?.isFile()) yield path;
      else
        options.onIssue({
          file: relative(options.cwd, path),
          message: 'symbolic link to a folder or nothing: not followed',
          severity: 'warning',
        });
    }
  }
}

function readSource(source: Source, options: InputOptions): AsyncGenerator<LocatedDocument> {
  switch (source.format) {
    case 'jsonl':
      return readJsonl(source, options);
    case 'csv':
    case 'tsv':
      return readDelimited(source, options, source.format === 'tsv' ? '\t' : ',');
    case 'markdown':
    case 'text':
      return readWholeFile(source, options);
  }
}

function openStream(source: Source, options: InputOptions): Readable {
  return source.path === undefined ? options.stdin : createReadStream(source.path);
}

/** Problems that make a document unusable, caught here so they are reported with file and line. */
function documentProblem(id: string, text: string): string | undefined {
  if (id.length === 0) return 'empty id';
  if (id.includes('#')) return `id ${JSON.stringify(id)} contains "#" (chunk ids are docId#n)`;
  if (!id.isWellFormed()) return 'id contains a lone surrogate';
  if (text.trim().length === 0) return 'empty text';
  if (!text.isWellFormed()) return 'text contains a lone surrogate (broken UTF-16)';
  return undefined;
}

async function* readJsonl(source: Source, options: InputOptions): AsyncGenerator<LocatedDocument> {
  const skip = (line: number, message: string): void =>
    options.onIssue({ file: source.display, line, message, severity: 'skipped' });
  const known = new Set([options.idField, options.textField]);
  try {
    for await (const line of readLines(openStream(source, options))) {
      if (line.text === undefined) {
        skip(line.number, line.error);
        continue;
      }
      if (line.text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (error) {
        skip(
          line.number,
          `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
        );
        continue;
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        skip(line.number, 'not a JSON object');
        continue;
      }
      const record = value as Record<string, unknown>;
      const rawId = record[options.idField];
      const id =
        typeof rawId === 'string'
          ? rawId
          : typeof rawId === 'number' && Number.isFinite(rawId)
            ? String(rawId)
            : undefined;
      if (id === undefined) {
        skip(line.number, `no "${options.idField}" (a string or number)`);
        continue;
      }
      const text = record[options.textField];
      if (typeof text !== 'string') {
        skip(line.number, `no "${options.textField}" string`);
        continue;
      }
      const problem = documentProblem(id, text);
      if (problem) {
        skip(line.number, problem);
        continue;
      }
      const { metadata, dropped } = toMetadata(record, known);
      for (const field of dropped) {
        options.onIssue({
          file: source.display,
          line: line.number,
          message: `${field} dropped`,
          severity: 'warning',
        });
      }
      yield { document: { id, text, metadata }, file: source.display, line: line.number };
    }
  } catch (error) {
    options.onIssue({
      file: source.display,
      message: `read failed: ${readFailure(error)}`,
      severity: 'skipped',
    });
  }
}

async function* readDelimited(
  source: Source,
  options: InputOptions,
  delimiter: string,
): AsyncGenerator<LocatedDocument> {
  let header: readonly string[] | undefined;
  let idColumn = -1;
  let textColumn = -1;
  try {
    for await (const row of readCsv(openStream(source, options), delimiter)) {
      if (row.error !== undefined) {
        // Only this record is lost: the reader found where the next one starts.
        options.onIssue({
          file: source.display,
          line: row.line,
          message: row.error,
          severity: 'skipped',
        });
        if (header === undefined) {
          options.onIssue({
            file: source.display,
            line: row.line,
            message: 'the header row could not be read; file skipped',
            severity: 'skipped',
          });
          return;
        }
        continue;
      }
      if (header === undefined) {
        header = row.fields.map((f) => f.trim());
        idColumn = header.indexOf(options.idField);
        textColumn = header.indexOf(options.textField);
        const missing = [
          idColumn < 0 ? options.idField : undefined,
          textColumn < 0 ? options.textField : undefined,
        ].filter(Boolean);
        if (missing.length > 0) {
          options.onIssue({
            file: source.display,
            line: row.line,
            message: `header has no ${missing.map((m) => `"${m}"`).join(' or ')} column (columns: ${header.join(', ')}); use --id-field/--text-field. File skipped`,
            severity: 'skipped',
          });
          return;
        }
        continue;
      }
      if (row.fields.length !== header.length) {
        options.onIssue({
          file: source.display,
          line: row.line,
          message: `has ${row.fields.length} fields, the header has ${header.length}`,
          severity: 'skipped',
        });
        continue;
      }
      const id = row.fields[idColumn]!;
      const text = row.fields[textColumn]!;
      const problem = documentProblem(id, text);
      if (problem) {
        options.onIssue({
          file: source.display,
          line: row.line,
          message: problem,
          severity: 'skipped',
        });
        continue;
      }
      const fields: Record<string, unknown> = {};
      header.forEach((name, i) => {
        if (i === idColumn || i === textColumn) return;
        const value = csvValue(row.fields[i]!);
        if (value !== undefined) fields[name] = value;
      });
      const { metadata, dropped } = toMetadata(fields, new Set());
      for (const field of dropped) {
        options.onIssue({
          file: source.display,
          line: row.line,
          message: `${field} dropped`,
          severity: 'warning',
        });
      }
      yield { document: { id, text, metadata }, file: source.display, line: row.line };
    }
  } catch (error) {
    if (error instanceof CsvReadError) {
      options.onIssue({
        file: source.display,
        line: error.line,
        message: `${error.message}; rest of the file skipped`,
        severity: 'skipped',
      });
      return;
    }
    options.onIssue({
      file: source.display,
      message: `read failed: ${readFailure(error)}`,
      severity: 'skipped',
    });
  }
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

async function* readWholeFile(
  source: Source,
  options: InputOptions,
): AsyncGenerator<LocatedDocument> {
  const skip = (message: string): void =>
    options.onIssue({ file: source.display, message, severity: 'skipped' });
  let bytes: Buffer;
  try {
    if (source.path === undefined) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of options.stdin as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > options.maxFileBytes)
          return skip(`larger than ${options.maxFileBytes} bytes (--max-file-bytes)`);
        chunks.push(chunk);
      }
      bytes = Buffer.concat(chunks);
    } else {
      const info = await stat(source.path);
      if (info.size > options.maxFileBytes)
        return skip(`larger than ${options.maxFileBytes} bytes (--max-file-bytes)`);
      bytes = await readFile(source.path);
    }
  } catch (error) {
    return skip(`read failed: ${readFailure(error)}`);
  }
  if (bytes.includes(0)) return skip('binary file (contains NUL bytes)');
  let text: string;
  try {
    text = fatalDecoder.decode(bytes);
  } catch {
    return skip(`not valid UTF-8 (${describeInvalidUtf8(bytes)})`);
  }
  const id = source.relativeId.split('#').join('%23');
  let metadata: Metadata = { path: source.relativeId, format: source.format };
  let body = text;
  if (source.format === 'markdown') {
    const { body: rest, fields } = splitFrontMatter(text);
    body = rest;
    const title = markdownTitle(rest);
    const extra = toMetadata({ ...(title ? { title } : {}), ...fields }, new Set());
    for (const field of extra.dropped)
      options.onIssue({
        file: source.display,
        message: `front matter ${field} dropped`,
        severity: 'warning',
      });
    metadata = { ...extra.metadata, ...metadata };
  }
  const problem = documentProblem(id, body);
  if (problem) return skip(problem);
  yield { document: { id, text: body, metadata }, file: source.display };
}

/** Where the first invalid byte is, as a line number, so the user can find it. */
function describeInvalidUtf8(bytes: Buffer): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return `first invalid byte on line ${line}`;
      }
      line++;
      start = i + 1;
    }
  }
  return 'invalid byte sequence';
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
