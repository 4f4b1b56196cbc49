import { DimensionMismatchError, dot, type MultiVector } from '@m3kit/core';
import { quantiseRows, readColbertHeader, type ColbertBlobHeader } from '../colbert-codec.js';
import { MAXSIM_INT_WASM_BASE64 } from '@m3kit/core/adapter';

interface MaxsimExports {
  heap_base(): number;
  maxsim_sum_f32(
    query: number,
    queryRows: number,
    passage: number,
    passageRows: number,
    dim: number,
    best: number,
  ): number;
  maxsim_sum_i8(
    query: number,
    queryScales: number,
    queryRows: number,
    passage: number,
    passageScales: number,
    passageRows: number,
    dim: number,
    best: number,
  ): number;
  maxsim_sum_i16(
    query: number,
    queryScales: number,
    queryRows: number,
    passage: number,
    passageScales: number,
    passageRows: number,
    dim: number,
    best: number,
  ): number;
}

const PAGE = 65_536;
let compiled: WebAssembly.Module | undefined | null;

/** The compiled MaxSim module, or null without WebAssembly SIMD (also handed to worker threads). */
export function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(Buffer.from(MAXSIM_INT_WASM_BASE64, 'base64'));
    } catch {
      compiled = null; // no WebAssembly SIMD here: the JavaScript kernel takes over
    }
  }
  return compiled;
}

/** Which kernel scores: WebAssembly SIMD when the runtime has it, else plain JavaScript. */
export type ColbertKernel = 'wasm-simd' | 'javascript';

/**
 * Scores stored ColBERT blobs (see colbert-codec.ts) against one query as FlagEmbedding's
 * `colbert_score` (sum over query rows of the best inner product, divided by the query rows).
 * 100 candidates x 256 rows x 32 query rows x 1024 dims is 0.84 G multiply-adds: naive JavaScript
 * loops take well over a second, the WebAssembly SIMD kernel tens of ms (bench/elastic-colbert-rescore).
 *
 * int16 and int8 blobs are scored against the query quantised to int16 (its rounding error is
 * about 1e-5 of a row's norm; int8 passage rows add ~4e-4); float32 blobs against the float32 query. Blobs are base64-decoded
 * straight into the module's memory. One scorer per query; scoring is synchronous.
 */
export class ColbertScorer {
  readonly kernel: ColbertKernel;
  private readonly memory: WebAssembly.Memory | undefined;
  private readonly exports: MaxsimExports | undefined;
  private readonly queryRows: number;
  private readonly dim: number;
  private readonly queryFloat: Float32Array;
  private readonly queryInt: Int16Array;
  private readonly queryScales: Float32Array;
  private queryFloatPointer = 0;
  private queryIntPointer = 0;
  private queryScalesPointer = 0;
  private bestPointer = 0;
  private stagingPointer = 0;

  constructor(query: MultiVector, options: { kernel?: 'auto' | 'javascript' } = {}) {
    this.queryRows = query.rows;
    this.dim = query.dim;
    this.queryFloat = query.data;
    this.queryInt = new Int16Array(query.rows * query.dim);
    this.queryScales = new Float32Array(query.rows);
    quantiseRows(query.data, query.rows, query.dim, this.queryScales, this.queryInt);
    const module = options.kernel === 'javascript' ? null : compiledModule();
    if (module === null) {
      this.kernel = 'javascript';
      return;
    }
    this.memory = new WebAssembly.Memory({ initial: 32 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as MaxsimExports;
    this.kernel = 'wasm-simd';
    this.queryFloatPointer = align(this.exports.heap_base());
    this.queryIntPointer = align(this.queryFloatPointer + query.data.byteLength);
    this.queryScalesPointer = align(this.queryIntPointer + this.queryInt.byteLength);
    this.bestPointer = align(this.queryScalesPointer + query.rows * 4);
    this.stagingPointer = align(this.bestPointer + query.rows * 4);
    this.ensure(this.stagingPointer);
    const buffer = this.memory.buffer;
    new Float32Array(buffer, this.queryFloatPointer, query.data.length).set(query.data);
    new Int16Array(buffer, this.queryIntPointer, this.queryInt.length).set(this.queryInt);
    new Float32Array(buffer, this.queryScalesPointer, query.rows).set(this.queryScales);
  }

  /** ColBERT score of one stored blob given as base64 text (as Elasticsearch returns it). */
  scoreBase64(blob: string): number {
    if (this.exports === undefined || this.memory === undefined)
      return this.scoreJavaScript(Buffer.from(blob, 'base64'));
    const byteLength = base64ByteLength(blob);
    this.ensure(this.stagingPointer + byteLength + 16);
    const written = Buffer.from(this.memory.buffer).write(
      blob,
      this.stagingPointer,
      byteLength,
      'base64',
    );
    return this.scoreStaged(written);
  }

  /** ColBERT score of one stored blob given as bytes. */
  scoreBytes(blob: Uint8Array): number {
    if (this.exports === undefined || this.memory === undefined) return this.scoreJavaScript(blob);
    this.ensure(this.stagingPointer + blob.byteLength + 16);
    new Uint8Array(this.memory.buffer, this.stagingPointer, blob.byteLength).set(blob);
    return this.scoreStaged(blob.byteLength);
  }

  private scoreStaged(byteLength: number): number {
    const exports = this.exports!;
    const header = readColbertHeader(
      new DataView(this.memory!.buffer),
      this.stagingPointer,
      byteLength,
    );
    this.checkDim(header);
    if (this.queryRows === 0) return 0;
    const values = this.stagingPointer + header.valuesOffset;
    const integerKernel =
      header.encoding === 'int8'
        ? exports.maxsim_sum_i8
        : header.encoding === 'int16'
          ? exports.maxsim_sum_i16
          : undefined;
    const sum =
      integerKernel !== undefined
        ? integerKernel(
            this.queryIntPointer,
            this.queryScalesPointer,
            this.queryRows,
            values,
            this.stagingPointer + header.scalesOffset,
            header.rows,
            this.dim,
            this.bestPointer,
          )
        : exports.maxsim_sum_f32(
            this.queryFloatPointer,
            this.queryRows,
            values,
            header.rows,
            this.dim,
            this.bestPointer,
          );
    return sum / this.queryRows;
  }

  /** The fallback kernel in plain JavaScript, for runtimes without WebAssembly SIMD. */
  private scoreJavaScript(blob: Uint8Array): number {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const header = readColbertHeader(view, 0, blob.byteLength);
    this.checkDim(header);
    const { rows, dim } = header;
    if (this.queryRows === 0) return 0;
    if (header.encoding === 'float32') {
      const passage = new Float32Array(rows * dim);
      for (let i = 0; i < passage.length; i++)
        passage[i] = view.getFloat32(header.valuesOffset + i * 4, true);
      return (
        maxSimSumJavaScript(this.queryFloat, this.queryRows, passage, rows, dim) / this.queryRows
      );
    }
    // Integer blobs: dequantise and use the float loop (integer sums in JavaScript fall off V8's
    // small-integer fast path and run ~25x slower than float math).
    const passage = new Float32Array(rows * dim);
    for (let p = 0; p < rows; p++) {
      const scale = view.getFloat32(header.scalesOffset + p * 4, true);
      for (let c = 0; c < dim; c++)
        passage[p * dim + c] =
          header.encoding === 'int8'
            ? view.getInt8(header.valuesOffset + p * dim + c) * scale
            : view.getInt16(header.valuesOffset + (p * dim + c) * 2, true) * scale;
    }
    return (
      maxSimSumJavaScript(this.queryFloat, this.queryRows, passage, rows, dim) / this.queryRows
    );
  }

  private checkDim(header: ColbertBlobHeader): void {
    if (header.dim !== this.dim) {
      throw new DimensionMismatchError({
        what: 'stored ColBERT vectors',
        expected: this.dim,
        actual: header.dim,
      });
    }
  }

  private ensure(bytes: number): void {
    const memory = this.memory!;
    if (bytes > memory.buffer.byteLength)
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }
}

/**
 * Undivided MaxSim in plain JavaScript over float32 rows, with core's unrolled `dot` (a small
 * separate function: V8 optimises it far better than the same loop inlined here, measured ~15x).
 */
export function maxSimSumJavaScript(
  query: Float32Array,
  queryRows: number,
  passage: Float32Array,
  passageRows: number,
  dim: number,
): number {
  if (passageRows === 0) return 0;
  let total = 0;
  for (let q = 0; q < queryRows; q++) {
    let best = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < passageRows; p++) {
      const s = dot(query, q * dim, passage, p * dim, dim);
      if (s > best) best = s;
    }
    total += best;
  }
  return total;
}

function align(pointer: number): number {
  return Math.ceil(pointer / 16) * 16;
}

function base64ByteLength(text: string): number {
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  return Math.floor((text.length * 3) / 4) - padding;
}
