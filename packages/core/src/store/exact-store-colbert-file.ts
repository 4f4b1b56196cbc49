import { open, readdir, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as zlib from 'node:zlib';
import type { Int8MultiVector } from '../embedding/compact-multivector.js';
import { colbertRefBytes, type ColbertRef } from './record-codec.js';
import type { StoreDamage } from './exact-store-log.js';

/** How reads reach the side file: a FileHandle's subset, so a test can count what is read. */
export interface PositionalFile {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/** Opens the side file for reading; tests inject a counting one. */
export type OpenPositionalFile = (path: string) => Promise<PositionalFile>;

const openForRead: OpenPositionalFile = (path) => open(path, 'r');

// zlib.crc32 (native) from Node 20.15; the log's table version before that. Same CRC-32.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 of the bytes as 8 lower-case hex digits (the same sum as the log's line checksums). */
export function rowsChecksum(bytes: Uint8Array, fallback: (b: Uint8Array) => string): string {
  return nativeCrc32 ? (nativeCrc32(bytes) >>> 0).toString(16).padStart(8, '0') : fallback(bytes);
}

/** A fresh side-file name for the store file at `path` (beside it; the header names it). */
export function newSideFileName(path: string): string {
  const random = Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0');
  return `${basename(path)}.${Date.now().toString(36)}${random}.colbert`;
}

/** Removes side files of `path` other than `keep` (left by a crash mid-compaction or a bare rm). */
export async function removeStaleSideFiles(path: string, keep?: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith(prefix) && name.endsWith('.colbert') && name !== keep)
      await rm(join(dirname(path), name), { force: true });
  }
}

/** Serialises rows as the side file holds them: codes, then float32 scales (little-endian). */
export function encodeRows(rows: Int8MultiVector): Uint8Array {
  const bytes = new Uint8Array(colbertRefBytes(rows));
  bytes.set(new Uint8Array(rows.codes.buffer, rows.codes.byteOffset, rows.codes.byteLength), 0);
  const scales = new DataView(bytes.buffer, rows.codes.length, 4 * rows.rows);
  for (let r = 0; r < rows.rows; r++) scales.setFloat32(4 * r, rows.scales[r]!, true);
  return bytes;
}

function decodeRows(bytes: Uint8Array, ref: ColbertRef): Int8MultiVector {
  const codes = new Int8Array(bytes.buffer, bytes.byteOffset, ref.rows * ref.dim);
  const view = new DataView(bytes.buffer, bytes.byteOffset + ref.rows * ref.dim, 4 * ref.rows);
  const scales = new Float32Array(ref.rows);
  for (let r = 0; r < ref.rows; r++) scales[r] = view.getFloat32(4 * r, true);
  return { codes, scales, rows: ref.rows, dim: ref.dim };
}

/**
 * Reads rows by reference with positional reads (one per record), each checked against its
 * CRC-32: a short read or a mismatch is reported as damage naming the side file and offset.
 */
export class ColbertSideReader {
  /** Bytes read so far (what a query cost in I/O). */
  bytesRead = 0;
  private constructor(
    readonly path: string,
    private readonly file: PositionalFile,
    private readonly checksum: (b: Uint8Array) => string,
  ) {}

  static async open(
    path: string,
    checksum: (b: Uint8Array) => string,
    openFile: OpenPositionalFile = openForRead,
  ): Promise<ColbertSideReader> {
    return new ColbertSideReader(path, await openFile(path), checksum);
  }

  async read(id: string, ref: ColbertRef): Promise<Int8MultiVector | StoreDamage> {
    const length = colbertRefBytes(ref);
    const bytes = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.file.read(bytes, filled, length - filled, ref.at + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.bytesRead += filled;
    if (filled < length)
      return {
        path: this.path,
        offset: ref.at,
        reason: `damaged ColBERT rows of "${id}": file ends ${length - filled} bytes early`,
      };
    if (this.checksum(bytes) !== ref.crc)
      return {
        path: this.path,
        offset: ref.at,
        reason: `damaged ColBERT rows of "${id}": checksum mismatch`,
      };
    return decodeRows(bytes, ref);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** The writer's end: appends rows and hands back where they went. One writer a file (the lock). */
export class ColbertSideWriter {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly checksum: (b: Uint8Array) => string,
  ) {}

  static async open(path: string, checksum: (b: Uint8Array) => string): Promise<ColbertSideWriter> {
    return new ColbertSideWriter(path, await open(path, 'a'), checksum);
  }

  /** Appends each record's rows in one write; refs are valid once it resolves. */
  async append(rows: readonly Int8MultiVector[]): Promise<ColbertRef[]> {
    // The size now, not a count kept in memory: a failed earlier write (disk full) moved it.
    let at = (await this.handle.stat()).size;
    const parts = rows.map(encodeRows);
    const refs = rows.map((r, i) => {
      const ref = { rows: r.rows, dim: r.dim, at, crc: this.checksum(parts[i]!) };
      at += parts[i]!.length;
      return ref;
    });
    if (parts.length > 0) {
      const total = parts.reduce((n, p) => n + p.length, 0);
      const { bytesWritten } = await this.handle.writev(parts);
      if (bytesWritten !== total)
        throw new Error(`short write to ${this.path}: ${bytesWritten} of ${total} bytes`);
    }
    return refs;
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
