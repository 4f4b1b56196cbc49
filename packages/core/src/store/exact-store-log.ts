import { appendFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { M3Record } from '../document.js';
import { CollectionMismatchError } from '../errors/collection-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { ResolvedCollectionSpec } from './collection-spec.js';
import { decodeRecord, encodeRecord, type EncodedRecord } from './record-codec.js';

const FORMAT = 'm3kit-exact-store';
const VERSION = 1;

type LogLine =
  | { readonly op: 'upsert'; readonly records: readonly EncodedRecord[] }
  | { readonly op: 'delete'; readonly ids: readonly string[] };

/**
 * The exact store's file: a header line, then one JSON line per write. Appending keeps each write
 * O(batch); a torn last line (a crash mid-append) is ignored on open, so a write either fully
 * happened or did not; open compacts the file when it holds more superseded data than live data.
 */
export interface ExactStoreLog {
  appendUpsert(records: readonly M3Record[]): Promise<void>;
  appendDelete(ids: readonly string[]): Promise<void>;
  remove(): Promise<void>;
  close(): Promise<void>;
}

export async function openExactStoreLog(
  path: string,
  spec: ResolvedCollectionSpec,
  options: { readonly readOnly?: boolean } = {},
): Promise<{ log: ExactStoreLog; records: Map<string, M3Record>; created: boolean }> {
  const records = new Map<string, M3Record>();
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidInputError(`cannot read the store file ${path}`, { cause: error });
    }
  }
  if (text === undefined || text.trim() === '') {
    if (options.readOnly) throw new InvalidInputError(`no collection "${spec.name}" at ${path} (opened read-only: nothing is created)`);
    await writeLines(path, spec, []);
    return { log: makeLog(path), records, created: true };
  }
  const lines = text.split('\n');
  checkHeader(lines[0] ?? '', path, spec);
  let superseded = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let entry: LogLine;
    try {
      entry = JSON.parse(line) as LogLine;
    } catch (error) {
      if (i === lines.length - 1 || lines.slice(i + 1).every((l) => l.trim() === '')) break; // torn tail
      throw new InvalidInputError(`store file ${path} is corrupt at line ${i + 1}`, { cause: error });
    }
    superseded += applyLine(entry, records);
  }
  if (!options.readOnly && superseded > records.size + 100) await writeLines(path, spec, [...records.values()]);
  return { log: makeLog(path), records, created: false };
}

/**
 * The collection spec in a store file's header, or undefined when there is no such file. Reads
 * only the header line: a reader need not load the records to learn what the file holds.
 */
export async function readExactStoreSpec(path: string): Promise<ResolvedCollectionSpec | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read the store file ${path}`, { cause: error });
  }
  try {
    const parts: Buffer[] = [];
    for (let position = 0; position < 16 * 1024 * 1024; ) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      const newline = buffer.subarray(0, bytesRead).indexOf(10);
      parts.push(buffer.subarray(0, newline >= 0 ? newline : bytesRead));
      if (newline >= 0) break;
      position += bytesRead;
    }
    const line = Buffer.concat(parts).toString('utf8');
    if (line.trim() === '') return undefined;
    return parseHeader(line, path);
  } finally {
    await handle.close();
  }
}

function applyLine(entry: LogLine, records: Map<string, M3Record>): number {
  let superseded = 0;
  if (entry.op === 'upsert') {
    for (const encoded of entry.records) {
      if (records.has(encoded.id)) superseded++;
      records.set(encoded.id, decodeRecord(encoded));
    }
  } else {
    for (const id of entry.ids) if (records.delete(id)) superseded++;
  }
  return superseded;
}

function parseHeader(line: string, path: string): ResolvedCollectionSpec {
  let header: { format?: string; version?: number; collection?: ResolvedCollectionSpec };
  try {
    header = JSON.parse(line) as typeof header;
  } catch (error) {
    throw new InvalidInputError(`${path} is not an m3kit store file`, { cause: error });
  }
  if (header.format !== FORMAT || header.version !== VERSION || !header.collection) {
    throw new InvalidInputError(`${path} is not an m3kit store file of version ${VERSION}`);
  }
  return header.collection;
}

function checkHeader(line: string, path: string, spec: ResolvedCollectionSpec): void {
  const existing = parseHeader(line, path);
  const differences: string[] = [];
  if (existing.name !== spec.name) differences.push(`name: existing ${existing.name}, requested ${spec.name}`);
  if (existing.denseDimension !== spec.denseDimension) {
    differences.push(`dense dimension: existing ${existing.denseDimension}, requested ${spec.denseDimension}`);
  }
  if (existing.signals.join(',') !== spec.signals.join(',')) {
    differences.push(`signals: existing ${existing.signals.join('+')}, requested ${spec.signals.join('+')}`);
  }
  if (existing.model !== undefined && spec.model !== undefined && existing.model !== spec.model) {
    differences.push(`model: existing ${existing.model}, requested ${spec.model}`);
  }
  if (differences.length > 0) {
    throw new CollectionMismatchError({ backend: 'exact', collection: spec.name, differences });
  }
}

async function writeLines(path: string, spec: ResolvedCollectionSpec, records: readonly M3Record[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const header = JSON.stringify({ format: FORMAT, version: VERSION, collection: spec });
  const body = records.length > 0 ? `${JSON.stringify({ op: 'upsert', records: records.map(encodeRecord) })}\n` : '';
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${header}\n${body}`);
  await rename(temporary, path); // atomic: readers see the old file or the new one
}

function makeLog(path: string): ExactStoreLog {
  const append = async (line: LogLine): Promise<void> => {
    await appendFile(path, `${JSON.stringify(line)}\n`);
  };
  return {
    appendUpsert: (records) => (records.length === 0 ? Promise.resolve() : append({ op: 'upsert', records: records.map(encodeRecord) })),
    appendDelete: (ids) => (ids.length === 0 ? Promise.resolve() : append({ op: 'delete', ids })),
    remove: () => rm(path, { force: true }),
    close: async () => {
      // Flush the file's data to disk so a power cut after close loses nothing.
      const handle = await open(path, 'r+').catch(() => undefined);
      await handle?.sync();
      await handle?.close();
    },
  };
}
