import { InvalidInputError, quantizeMultiVectorInt8, type MultiVector } from '@m3kit/core';
import { quantiseRows } from '@m3kit/core/adapter';

/**
 * The int16 quantiser (query rows for every integer kernel, and int16 storage) lives in core with
 * the kernel it feeds: one rounding for the encoder and the scorer.
 */
export { INT16_NORM_LIMIT, quantiseRows } from '@m3kit/core/adapter';

/**
 * How ColBERT rows are stored in the `binary` field when the cluster cannot hold them natively.
 * - `int8` (default): one int8 code a value and one float32 scale a row (max |x| / 127, core's
 *   quantizeMultiVectorInt8): 1,028 bytes a 1024-d row plus 12 a document, a quarter of float32.
 *   Measured on the realistic corpus (bench/dist/colbert-compact-bench.js): ColBERT top-10
 *   agreement with float32 1.0, largest score error 3.7e-4.
 * - `int16` (the default before int8; older indices hold it): each row scaled so its L2 norm is just under 46340 (and no value exceeds
 *   32767), rounded to int16, with the row's float scale kept beside it: 2 bytes a value. Error
 *   of a stored value: at most half a step, 1/92680 of the row's norm; measured ColBERT score error
 *   about 1e-6 relative (bench/elastic-colbert-rescore). The norm bound makes int32 dot products
 *   overflow-free (Cauchy-Schwarz: |sum| <= 46340^2 < 2^31), which lets the WebAssembly kernel
 *   multiply-add 8 int16 pairs an instruction.
 * - `float32`: the values as given (4 bytes a value), bit-exact; twice the bytes to fetch.
 */
export type ColbertEncoding = 'int8' | 'int16' | 'float32';
export const COLBERT_ENCODINGS = ['int8', 'int16', 'float32'] as const;

/**
 * Blob layout, little-endian: u8 format version (1), u8 encoding (1 = int16, 2 = float32,
 * 3 = int8), u16 zero, u32 rows, u32 dim, then `rows` float32 row scales (int16 and int8: real
 * value = stored integer x scale), then the values row-major. Self-describing: a reader needs nothing else.
 */
export const COLBERT_HEADER_BYTES = 12;
const FORMAT_VERSION = 1;
const ENCODING_CODE: Record<ColbertEncoding, number> = { int16: 1, float32: 2, int8: 3 };
const ENCODING_BY_CODE: readonly (ColbertEncoding | undefined)[] = [
  undefined,
  'int16',
  'float32',
  'int8',
];
/** Bytes of one stored value per encoding. */
export const COLBERT_VALUE_BYTES: Record<ColbertEncoding, number> = {
  int8: 1,
  int16: 2,
  float32: 4,
};

export interface ColbertBlobHeader {
  readonly encoding: ColbertEncoding;
  readonly rows: number;
  readonly dim: number;
  /** Byte offset of the row scales (int16 and int8). */
  readonly scalesOffset: number;
  readonly valuesOffset: number;
  readonly byteLength: number;
}

/** Encodes a multi-vector into the blob layout above. */
export function encodeColbert(vectors: MultiVector, encoding: ColbertEncoding): Uint8Array {
  const { rows, dim, data } = vectors;
  const scalesBytes = encoding === 'float32' ? 0 : rows * 4;
  const valueBytes = rows * dim * COLBERT_VALUE_BYTES[encoding];
  const bytes = new Uint8Array(COLBERT_HEADER_BYTES + scalesBytes + valueBytes);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint8(1, ENCODING_CODE[encoding]);
  view.setUint32(4, rows, true);
  view.setUint32(8, dim, true);
  if (encoding === 'float32') {
    for (let i = 0; i < rows * dim; i++)
      view.setFloat32(COLBERT_HEADER_BYTES + i * 4, data[i]!, true);
    return bytes;
  }
  if (encoding === 'int8') {
    const quantised = quantizeMultiVectorInt8(vectors);
    for (let r = 0; r < rows; r++)
      view.setFloat32(COLBERT_HEADER_BYTES + r * 4, quantised.scales[r]!, true);
    bytes.set(
      new Uint8Array(quantised.codes.buffer, quantised.codes.byteOffset, quantised.codes.length),
      COLBERT_HEADER_BYTES + scalesBytes,
    );
    return bytes;
  }
  const scales = new Float32Array(rows);
  const values = new Int16Array(rows * dim);
  quantiseRows(data, rows, dim, scales, values);
  for (let r = 0; r < rows; r++) view.setFloat32(COLBERT_HEADER_BYTES + r * 4, scales[r]!, true);
  const valuesOffset = COLBERT_HEADER_BYTES + scalesBytes;
  for (let i = 0; i < values.length; i++) view.setInt16(valuesOffset + i * 2, values[i]!, true);
  return bytes;
}
export function encodeColbertBase64(vectors: MultiVector, encoding: ColbertEncoding): string {
  const bytes = encodeColbert(vectors, encoding);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Reads and checks a blob's header; `byteLength` is the blob's size in bytes. */
export function readColbertHeader(
  view: DataView,
  offset: number,
  byteLength: number,
): ColbertBlobHeader {
  if (byteLength < COLBERT_HEADER_BYTES || view.getUint8(offset) !== FORMAT_VERSION) {
    throw new InvalidInputError('stored ColBERT blob has an unknown format');
  }
  const code = view.getUint8(offset + 1);
  const encoding = ENCODING_BY_CODE[code];
  if (encoding === undefined)
    throw new InvalidInputError(`stored ColBERT blob has unknown encoding ${code}`);
  const rows = view.getUint32(offset + 4, true);
  const dim = view.getUint32(offset + 8, true);
  const scalesBytes = encoding === 'float32' ? 0 : rows * 4;
  const expected = COLBERT_HEADER_BYTES + scalesBytes + rows * dim * COLBERT_VALUE_BYTES[encoding];
  if (expected !== byteLength) {
    throw new InvalidInputError(
      `stored ColBERT blob has ${byteLength} bytes, its header says ${expected}`,
    );
  }
  return {
    encoding,
    rows,
    dim,
    scalesOffset: COLBERT_HEADER_BYTES,
    valuesOffset: COLBERT_HEADER_BYTES + scalesBytes,
    byteLength,
  };
}

/** Decodes a blob (base64) back to float32 rows: exact for float32, within half a step otherwise. */
export function decodeColbertBase64(text: string): MultiVector {
  return decodeColbert(Buffer.from(text, 'base64'));
}

/** Decodes a blob back to float32 rows. */
export function decodeColbert(bytes: Uint8Array): MultiVector {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readColbertHeader(view, 0, bytes.byteLength);
  const { rows, dim } = header;
  const data = new Float32Array(rows * dim);
  if (header.encoding === 'float32') {
    for (let i = 0; i < data.length; i++)
      data[i] = view.getFloat32(header.valuesOffset + i * 4, true);
  } else if (header.encoding === 'int8') {
    const codes = new Int8Array(bytes.buffer, bytes.byteOffset + header.valuesOffset, rows * dim);
    for (let r = 0; r < rows; r++) {
      const scale = view.getFloat32(header.scalesOffset + r * 4, true);
      for (let c = 0; c < dim; c++) data[r * dim + c] = codes[r * dim + c]! * scale;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const scale = view.getFloat32(header.scalesOffset + r * 4, true);
      for (let c = 0; c < dim; c++) {
        data[r * dim + c] = view.getInt16(header.valuesOffset + (r * dim + c) * 2, true) * scale;
      }
    }
  }
  return { data, rows, dim };
}
