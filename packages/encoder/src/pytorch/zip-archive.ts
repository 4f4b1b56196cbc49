import * as zlib from 'node:zlib';

/** One member of a zip archive, located through the central directory. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** A zip archive that is not well formed; the caller adds the file name. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD64_LOCATOR_SIGNATURE = 0x07064b50;
const EOCD64_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

/**
 * Reads a zip archive held in memory, the container of PyTorch's `torch.save` format (members
 * stored uncompressed, 64-byte aligned). Finds members through the central directory (zip64
 * included), and checks each member's CRC-32 when it is read, so a damaged file is caught.
 */
export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
  }

  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) throw new ZipFormatError(`no member ${name}`);
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.length || this.view.getUint32(at, true) !== LOCAL_SIGNATURE) {
      throw new ZipFormatError(`member ${name}: bad local header`);
    }
    const start = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    const end = start + entry.compressedSize;
    if (end > this.bytes.length)
      throw new ZipFormatError(`member ${name} runs past the end of the file (truncated?)`);
    const stored = this.bytes.subarray(start, end);
    let data: Uint8Array;
    if (entry.method === METHOD_STORED) data = stored;
    else if (entry.method === METHOD_DEFLATE) data = new Uint8Array(zlib.inflateRawSync(stored));
    else
      throw new ZipFormatError(
        `member ${name}: compression method ${entry.method} is not supported`,
      );
    if (data.length !== entry.size)
      throw new ZipFormatError(`member ${name}: ${data.length} bytes, expected ${entry.size}`);
    if (crc32(data) !== entry.crc32)
      throw new ZipFormatError(`member ${name}: CRC-32 mismatch (damaged file)`);
    return data;
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    const eocd = this.findEndOfCentralDirectory();
    let count = this.view.getUint16(eocd + 10, true);
    let size = this.view.getUint32(eocd + 12, true);
    let offset = this.view.getUint32(eocd + 16, true);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || this.view.getUint32(locator, true) !== EOCD64_LOCATOR_SIGNATURE) {
        throw new ZipFormatError('zip64 end of central directory locator missing');
      }
      const eocd64 = this.uint64(locator + 8);
      if (
        eocd64 + 56 > this.bytes.length ||
        this.view.getUint32(eocd64, true) !== EOCD64_SIGNATURE
      ) {
        throw new ZipFormatError('zip64 end of central directory record missing');
      }
      count = this.uint64(eocd64 + 32);
      size = this.uint64(eocd64 + 40);
      offset = this.uint64(eocd64 + 48);
    }
    if (offset + size > this.bytes.length)
      throw new ZipFormatError('central directory runs past the end of the file');
    const entries = new Map<string, ZipEntry>();
    let at = offset;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      if (at + 46 > this.bytes.length || this.view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
        throw new ZipFormatError(`central directory entry ${i} is damaged`);
      }
      const method = this.view.getUint16(at + 10, true);
      const crc = this.view.getUint32(at + 16, true);
      let compressedSize = this.view.getUint32(at + 20, true);
      let uncompressedSize = this.view.getUint32(at + 24, true);
      const nameLength = this.view.getUint16(at + 28, true);
      const extraLength = this.view.getUint16(at + 30, true);
      const commentLength = this.view.getUint16(at + 32, true);
      let localHeaderOffset = this.view.getUint32(at + 42, true);
      const name = decoder.decode(this.bytes.subarray(at + 46, at + 46 + nameLength));
      // zip64 extended information: only the fields whose 32-bit slot is saturated, in this order.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = this.view.getUint16(extra, true);
        const length = this.view.getUint16(extra + 2, true);
        if (id === 0x0001) {
          let field = extra + 4;
          if (uncompressedSize === 0xffffffff) {
            uncompressedSize = this.uint64(field);
            field += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.uint64(field);
            field += 8;
          }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = this.uint64(field);
        }
        extra += 4 + length;
      }
      entries.set(name, {
        name,
        method,
        crc32: crc,
        compressedSize,
        size: uncompressedSize,
        localHeaderOffset,
      });
      at = extraEnd + commentLength;
    }
    return entries;
  }

  private findEndOfCentralDirectory(): number {
    const lowest = Math.max(0, this.bytes.length - 22 - 0xffff);
    for (let at = this.bytes.length - 22; at >= lowest; at--) {
      if (this.view.getUint32(at, true) === EOCD_SIGNATURE) return at;
    }
    throw new ZipFormatError('not a zip archive (no end of central directory record; truncated?)');
  }

  private uint64(at: number): number {
    const value = this.view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ZipFormatError('zip64 value out of range');
    return Number(value);
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE), as zip stores it; node:zlib's native crc32 where this Node has it. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
