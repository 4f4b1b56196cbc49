import { appendFile, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { M3Record } from '../document.js';
import { quantizeMultiVectorInt8, type Int8MultiVector } from '../embedding/compact-multivector.js';
import { CollectionMismatchError } from '../errors/collection-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { ResolvedCollectionSpec } from './collection-spec.js';
import { dequantizeMultiVectorInt8 } from '../embedding/compact-multivector.js';
import {
  ColbertSideReader,
  ColbertSideWriter,
  newSideFileName,
  removeStaleSideFiles,
  rowsChecksum,
  type OpenPositionalFile,
} from './exact-store-colbert-file.js';
import {
  decodeColbert,
  decodeRecord,
  encodeRecord,
  isColbertRef,
  isInt8Colbert,
  type ColbertRef,
  type EncodedRecord,
} from './record-codec.js';

/** A record's int8 ColBERT rows as the store holds them: in memory, or where they lie on disk. */
export type HeldColbert = Int8MultiVector | ColbertRef;

const FORMAT = 'm3kit-exact-store';
/**
 * 4: int8 ColBERT rows live in a side file named by the header (`colbertFile`), each record's
 * line holding only `{rows, dim, at, crc}`: opening the store reads no ColBERT byte, a query
 * reads only the rows it scores (3 is rewritten as 4 on the first writable open).
 * 3: records may hold int8 ColBERT rows (`colbert.int8` + `colbert.scales`; older readers would
 * take them for damage, so they refuse the file by its version instead); 2 (still read, rewritten
 * as 3 on the first writable open): every write line is `<crc32 hex>\t<json>`; 1 (still read):
 * plain JSON lines.
 */
const VERSION = 4;
const READABLE_VERSIONS = [1, 2, 3, 4];
/** Records per log line: an upsert of many records is appended (and can be aborted) in parts. */
export const RECORDS_PER_LINE = 1000;

/** A line of the file that could not be used: skipped, the rest read. */
export interface StoreDamage {
  readonly path: string;
  /** Byte offset of the line's start in the file. */
  readonly offset: number;
  readonly reason: string;
}

type LogLine =
  | { readonly op: 'upsert'; readonly records: readonly EncodedRecord[] }
  | { readonly op: 'delete'; readonly ids: readonly string[] };

/**
 * The exact store's file: a header line, then one JSON line per write. Appending keeps each write
 * O(batch); a torn last line (a crash mid-append) is ignored on open, so a write either fully
 * happened or did not; open compacts the file when it holds more superseded data than live data.
 */
export interface ExactStoreLog {
  /**
   * `compact`: the int8 ColBERT rows of records kept compactly (written instead of float32), to
   * the side file when there is one: the returned refs say where (hold those, not the rows).
   */
  appendUpsert(
    records: readonly M3Record[],
    compact?: ReadonlyMap<string, Int8MultiVector>,
  ): Promise<ReadonlyMap<string, ColbertRef>>;
  /** A record's rows from the side file, or the damage found reading them. */
  readColbert(id: string, ref: ColbertRef): Promise<Int8MultiVector | StoreDamage>;
  /** ColBERT bytes read from the side file since open. */
  readonly colbertBytesRead: number;
  appendDelete(ids: readonly string[]): Promise<void>;
  remove(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenLogOptions {
  /** Never create, compact or write the file. */
  readonly readOnly?: boolean;
  /** Rewrite the file with only the live records (drops damaged lines for good). */
  readonly repair?: boolean;
  /**
   * How the store keeps ColBERT rows: `int8` moves each record's rows, whichever form the file
   * holds them in, into the returned `compact` map; `float32` (default) keeps them on the record.
   */
  readonly colbertStorage?: 'float32' | 'int8';
  /** How the side file is opened for reading (tests inject one that counts reads). */
  readonly openSideFile?: OpenPositionalFile;
}

/**
 * Reads the file: every line whose checksum and JSON hold is applied in order; a damaged or torn
 * line is skipped and reported in `damage` (file and byte offset), the rest still read. A file
 * with more superseded than live data, or one opened with `repair`, is rewritten clean
 * (atomically: a temporary file renamed over it).
 */
export async function openExactStoreLog(
  path: string,
  spec: ResolvedCollectionSpec,
  options: OpenLogOptions = {},
): Promise<{
  log: ExactStoreLog;
  records: Map<string, M3Record>;
  compact: Map<string, HeldColbert>;
  created: boolean;
  damage: StoreDamage[];
}> {
  const records = new Map<string, M3Record>();
  const compact = new Map<string, HeldColbert>();
  const int8 = options.colbertStorage === 'int8';
  let bytes: Buffer | undefined;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidInputError(`cannot read the store file ${path}`, { cause: error });
    }
  }
  if (bytes === undefined || bytes.toString('utf8').trim() === '') {
    if (options.readOnly)
      throw new InvalidInputError(
        `no collection "${spec.name}" at ${path} (opened read-only: nothing is created)`,
      );
    const written = await writeLines(path, spec, [], compact, undefined, int8, []);
    return {
      log: await makeLog(path, written.sideFile, options, false),
      records,
      compact,
      created: true,
      damage: [],
    };
  }
  const headerEnd = bytes.indexOf(0x0a);
  const headerLine = bytes.subarray(0, headerEnd < 0 ? bytes.length : headerEnd).toString('utf8');
  const version = checkHeader(headerLine, path, spec);
  const sideName = (JSON.parse(headerLine) as { colbertFile?: unknown }).colbertFile;
  const sideFile = typeof sideName === 'string' ? sideName : undefined;
  const reader = sideFile
    ? await ColbertSideReader.open(
        join(dirname(path), sideFile),
        (b) => rowsChecksum(b, crc32Hex),
        options.openSideFile,
      ).catch(() => undefined)
    : undefined;
  const damage: StoreDamage[] = [];
  let superseded = 0;
  for (let start = headerEnd < 0 ? bytes.length : headerEnd + 1; start < bytes.length; ) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const line = bytes.subarray(start, end);
    if (line.toString('utf8').trim() !== '') {
      const parsed = parseLine(line, version);
      if (typeof parsed === 'string')
        damage.push({
          path,
          offset: start,
          reason: newline < 0 ? `${parsed} (torn last line: a write cut short)` : parsed,
        });
      else superseded += applyLine(parsed, records, compact, int8);
    }
    start = end + 1;
  }
  const read = async (id: string, ref: ColbertRef): Promise<Int8MultiVector | StoreDamage> =>
    reader
      ? reader.read(id, ref)
      : {
          path: join(dirname(path), sideFile ?? '(no side file)'),
          offset: ref.at,
          reason: `damaged ColBERT rows of "${id}": the side file is missing`,
        };
  if (!int8) {
    // float32 storage keeps rows on the records: expand what the file holds compactly.
    for (const [id, held] of compact) {
      const rows = isColbertRef(held) ? await read(id, held) : held;
      const record = records.get(id)!;
      if ('reason' in rows) damage.push(rows);
      else
        records.set(id, {
          ...record,
          embedding: { ...record.embedding, colbert: dequantizeMultiVectorInt8(rows) },
        });
    }
    compact.clear();
  }
  const rewrite =
    options.repair === true ||
    superseded > records.size + 100 ||
    version !== VERSION ||
    (int8 && sideFile === undefined);
  if (!options.readOnly && rewrite) {
    const written = await writeLines(
      path,
      spec,
      [...records.values()],
      compact,
      read,
      int8,
      damage,
    );
    await reader?.close();
    for (const id of written.dropped) records.delete(id);
    compact.clear();
    for (const [id, ref] of written.refs) compact.set(id, ref);
    return {
      log: await makeLog(path, written.sideFile, options, false),
      records,
      compact,
      created: false,
      damage,
    };
  }
  // A torn last line has no newline: end it, so the next append starts a line of its own.
  if (!options.readOnly && bytes[bytes.length - 1] !== 0x0a) await appendFile(path, '\n');
  if (!options.readOnly) await removeStaleSideFiles(path, sideFile);
  return {
    // The reader opened with the header just read: a compaction by another process since then
    // unlinks that side file, but an open handle keeps reading the rows this header points at.
    log: await makeLog(path, sideFile, options, options.readOnly === true, reader),
    records,
    compact,
    created: false,
    damage,
  };
}

/** One log line as an entry, or why it cannot be used. */
function parseLine(line: Buffer, version: number): LogLine | string {
  let json = line;
  if (version >= 2) {
    const tab = line.indexOf(0x09);
    if (tab !== 8) return 'damaged record: no checksum';
    json = line.subarray(9);
    if (line.subarray(0, 8).toString('latin1') !== crc32Hex(json))
      return 'damaged record: checksum mismatch';
  }
  let entry: LogLine;
  try {
    entry = JSON.parse(json.toString('utf8')) as LogLine;
  } catch {
    return 'damaged record: not valid JSON';
  }
  try {
    // Decoded here so a bad record is skipped as a whole line, never half applied.
    if (entry.op === 'upsert' && Array.isArray(entry.records))
      entry.records.forEach(({ colbert, ...rest }) => {
        decodeRecord(rest);
        if (colbert !== undefined) decodeColbert(colbert); // checked as stored, never expanded
      });
    else if (!(entry.op === 'delete' && Array.isArray(entry.ids)))
      return 'damaged record: unknown operation';
  } catch (error) {
    return `damaged record: ${error instanceof Error ? error.message : String(error)}`;
  }
  return entry;
}

/**
 * The collection spec in a store file's header, or undefined when there is no such file. Reads
 * only the header line: a reader need not load the records to learn what the file holds.
 */
export async function readExactStoreSpec(
  path: string,
): Promise<ResolvedCollectionSpec | undefined> {
  let handle: FileHandle;
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

/**
 * Applies one line. Compact ColBERT rows (int8 inline, or a side-file ref) go to `compact`, not
 * onto the record; float32 rows stay on the record unless the store keeps int8 (`int8`).
 */
function applyLine(
  entry: LogLine,
  records: Map<string, M3Record>,
  compact: Map<string, HeldColbert>,
  int8 = true,
): number {
  let superseded = 0;
  if (entry.op === 'upsert') {
    for (const encoded of entry.records) {
      if (records.has(encoded.id)) superseded++;
      const held = encoded.colbert;
      if (held === undefined || (!int8 && 'data' in held)) {
        records.set(encoded.id, decodeRecord(encoded));
        compact.delete(encoded.id);
        continue;
      }
      const { colbert: _colbert, ...rest } = encoded;
      records.set(encoded.id, decodeRecord(rest));
      const rows = decodeColbert(held)!;
      compact.set(
        encoded.id,
        isInt8Colbert(rows) || isColbertRef(rows) ? rows : quantizeMultiVectorInt8(rows),
      );
    }
  } else {
    for (const id of entry.ids) {
      if (records.delete(id)) superseded++;
      compact.delete(id);
    }
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
  if (
    header.format !== FORMAT ||
    !READABLE_VERSIONS.includes(header.version ?? -1) ||
    !header.collection
  ) {
    throw new InvalidInputError(
      `${path} is not an m3kit store file of version ${READABLE_VERSIONS.join(' or ')}`,
    );
  }
  return header.collection;
}

function headerVersion(line: string): number {
  return (JSON.parse(line) as { version: number }).version;
}

/** Checks the header against the spec; returns the file's format version. */
function checkHeader(line: string, path: string, spec: ResolvedCollectionSpec): number {
  const existing = parseHeader(line, path);
  const differences: string[] = [];
  if (existing.name !== spec.name)
    differences.push(`name: existing ${existing.name}, requested ${spec.name}`);
  if (existing.denseDimension !== spec.denseDimension) {
    differences.push(
      `dense dimension: existing ${existing.denseDimension}, requested ${spec.denseDimension}`,
    );
  }
  if (existing.signals.join(',') !== spec.signals.join(',')) {
    differences.push(
      `signals: existing ${existing.signals.join('+')}, requested ${spec.signals.join('+')}`,
    );
  }
  if (existing.model !== undefined && spec.model !== undefined && existing.model !== spec.model) {
    differences.push(`model: existing ${existing.model}, requested ${spec.model}`);
  }
  if (differences.length > 0) {
    throw new CollectionMismatchError({ backend: 'exact', collection: spec.name, differences });
  }
  return headerVersion(line);
}

/**
 * Writes the file anew (temporary then rename: readers see the old file or the new one). With
 * `int8`, the rows go to a new side file first, whose name only the new header carries, so a crash
 * at any point leaves a consistent pair; the old side file is removed after the rename (a reader
 * that has it open keeps reading it). A record whose side-file rows read back damaged is left out
 * (and reported in `damage`), as a damaged line is.
 */
async function writeLines(
  path: string,
  spec: ResolvedCollectionSpec,
  records: readonly M3Record[],
  compact: ReadonlyMap<string, HeldColbert>,
  read: ((id: string, ref: ColbertRef) => Promise<Int8MultiVector | StoreDamage>) | undefined,
  int8: boolean,
  damage: StoreDamage[],
): Promise<{ sideFile: string | undefined; refs: Map<string, ColbertRef>; dropped: string[] }> {
  await mkdir(dirname(path), { recursive: true });
  const refs = new Map<string, ColbertRef>();
  const dropped: string[] = [];
  const sideFile = int8 ? newSideFileName(path) : undefined;
  const kept: M3Record[] = [];
  if (sideFile !== undefined) {
    const writer = await ColbertSideWriter.open(join(dirname(path), sideFile), (b) =>
      rowsChecksum(b, crc32Hex),
    );
    try {
      for (let i = 0; i < records.length; i += RECORDS_PER_LINE) {
        const part: M3Record[] = [];
        const rows: Int8MultiVector[] = [];
        for (const record of records.slice(i, i + RECORDS_PER_LINE)) {
          const held = compact.get(record.id);
          if (held === undefined) {
            kept.push(record);
            continue;
          }
          const loaded = isColbertRef(held)
            ? read
              ? await read(record.id, held)
              : ({ path, offset: held.at, reason: 'no side file' } as StoreDamage)
            : held;
          if ('reason' in loaded) {
            damage.push(loaded);
            dropped.push(record.id);
            continue;
          }
          part.push(record);
          rows.push(loaded);
        }
        const written = await writer.append(rows);
        for (const [j, record] of part.entries()) refs.set(record.id, written[j]!);
        kept.push(...part);
      }
      await writer.sync();
    } finally {
      await writer.close();
    }
  } else kept.push(...records);
  const header = JSON.stringify({
    format: FORMAT,
    version: VERSION,
    collection: spec,
    ...(sideFile !== undefined ? { colbertFile: sideFile } : {}),
  });
  const lines: string[] = [];
  for (let i = 0; i < kept.length; i += RECORDS_PER_LINE) {
    lines.push(
      checksummed({
        op: 'upsert',
        records: kept
          .slice(i, i + RECORDS_PER_LINE)
          .map((record) => encodeRecord(record, refs.get(record.id) ?? compact.get(record.id))),
      }),
    );
  }
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${header}\n${lines.join('')}`);
  await rename(temporary, path); // atomic: readers see the old file or the new one
  await removeStaleSideFiles(path, sideFile);
  return { sideFile, refs, dropped };
}

/** A log line: CRC-32 of the JSON's UTF-8 bytes as 8 hex digits, a tab, the JSON, a newline. */
function checksummed(entry: LogLine): string {
  const json = JSON.stringify(entry);
  return `${crc32Hex(Buffer.from(json, 'utf8'))}\t${json}\n`;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib and PNG use it) as 8 lower-case hex digits. */
export function crc32Hex(bytes: Uint8Array): string {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

async function makeLog(
  path: string,
  sideFile: string | undefined,
  options: OpenLogOptions,
  readOnly: boolean,
  opened?: ColbertSideReader,
): Promise<ExactStoreLog> {
  const checksum = (b: Uint8Array): string => rowsChecksum(b, crc32Hex);
  const sidePath = sideFile !== undefined ? join(dirname(path), sideFile) : undefined;
  const writer =
    sidePath !== undefined && !readOnly
      ? await ColbertSideWriter.open(sidePath, checksum)
      : undefined;
  const reader =
    opened ??
    (sidePath !== undefined
      ? await ColbertSideReader.open(sidePath, checksum, options.openSideFile).catch(
          () => undefined,
        )
      : undefined);
  const append = async (line: LogLine): Promise<void> => {
    await appendFile(path, checksummed(line));
  };
  return {
    appendUpsert: async (records, compact) => {
      if (records.length === 0) return new Map();
      const refs = new Map<string, ColbertRef>();
      if (writer !== undefined && compact !== undefined) {
        // Rows first: a crash between the two writes leaves unreferenced bytes, never a line
        // pointing at rows that are not there.
        const ids = records.map((r) => r.id).filter((id) => compact.has(id));
        const written = await writer.append(ids.map((id) => compact.get(id)!));
        for (const [i, id] of ids.entries()) refs.set(id, written[i]!);
      }
      await append({
        op: 'upsert',
        records: records.map((record) =>
          encodeRecord(record, refs.get(record.id) ?? compact?.get(record.id)),
        ),
      });
      return refs;
    },
    readColbert: async (id, ref) =>
      reader
        ? reader.read(id, ref)
        : {
            path: sidePath ?? path,
            offset: ref.at,
            reason: `damaged ColBERT rows of "${id}": the side file is missing`,
          },
    get colbertBytesRead() {
      return reader?.bytesRead ?? 0;
    },
    appendDelete: (ids) => (ids.length === 0 ? Promise.resolve() : append({ op: 'delete', ids })),
    remove: async () => {
      await writer?.close().catch(() => undefined);
      await reader?.close().catch(() => undefined);
      await rm(path, { force: true });
      await removeStaleSideFiles(path);
    },
    close: async () => {
      // Flush the file's data to disk so a power cut after close loses nothing.
      await writer?.sync();
      await writer?.close();
      await reader?.close();
      if (readOnly) return;
      const handle = await open(path, 'r+').catch(() => undefined);
      await handle?.sync();
      await handle?.close();
    },
  };
}
