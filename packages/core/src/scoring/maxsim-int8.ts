import type { Int8MultiVector } from '../embedding/compact-multivector.js';
import type { MultiVector } from '../embedding/types.js';
import { MAXSIM_INT_WASM_BASE64 } from './maxsim-int-wasm.js';

// The few WebAssembly JS API members used here (core compiles without the DOM library).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: {
    initial: number;
  }) => {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  };
};

/** Largest integer-row L2 norm for which every int32 partial dot product is safe: floor(sqrt(2^31 - 1)). */
export const INT16_NORM_LIMIT = 46_340;

/**
 * Quantises rows to int16, each scaled so its L2 norm is just under INT16_NORM_LIMIT (and no
 * value exceeds 32767), with the row's float scale written beside it (real value = integer x
 * scale). Error of a value: at most half a step, 1/92680 of the row's norm. Used for queries
 * (against int8 or int16 passage rows) and for int16 storage, so both sides round alike; the
 * norm bound keeps the kernels' int32 sums from overflowing (Cauchy-Schwarz).
 */
export function quantiseRows(
  data: Float32Array,
  rows: number,
  dim: number,
  scales: Float32Array,
  values: Int16Array,
): void {
  // Rounding can add up to 0.5 a component, i.e. 0.5 * sqrt(dim) to the norm: leave room for it.
  const target = INT16_NORM_LIMIT - 0.5 * Math.sqrt(dim) - 1;
  for (let r = 0; r < rows; r++) {
    const offset = r * dim;
    let max = 0;
    let squares = 0;
    for (let i = 0; i < dim; i++) {
      const value = data[offset + i]!;
      const magnitude = Math.abs(value);
      if (magnitude > max) max = magnitude;
      squares += value * value;
    }
    if (max === 0) {
      scales[r] = 1;
      values.fill(0, offset, offset + dim);
      continue;
    }
    const factor = Math.min(target / Math.sqrt(squares), 32_767 / max);
    scales[r] = 1 / factor;
    for (let i = 0; i < dim; i++) values[offset + i] = Math.round(data[offset + i]! * factor);
  }
}

interface IntKernelExports {
  heap_base(): number;
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
}

let kernel: { exports: IntKernelExports; memory: InstanceType<typeof WebAssembly.Memory> } | null;
let loaded = false;

function loadKernel(): typeof kernel {
  if (loaded) return kernel;
  loaded = true;
  try {
    const bytes = Uint8Array.from(atob(MAXSIM_INT_WASM_BASE64), (c) => c.charCodeAt(0));
    const memory = new WebAssembly.Memory({ initial: 32 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    kernel = { exports: instance.exports as IntKernelExports, memory };
  } catch {
    kernel = null; // no WebAssembly SIMD here
  }
  return kernel;
}

const align = (pointer: number): number => Math.ceil(pointer / 16) * 16;

/**
 * Undivided MaxSim of one query against passages of int8 rows (one scale a row), in the
 * integer kernel: the query quantised to int16 once, each passage's codes and scales copied into
 * kernel memory as they are (a quarter of float32's bytes; never expanded to floats). Returns
 * undefined without WebAssembly SIMD.
 */
export function maxSimSumsInt8(
  query: MultiVector,
  passages: readonly Int8MultiVector[],
): Float64Array | undefined {
  const loadedKernel = loadKernel();
  if (loadedKernel === null) return undefined;
  const { exports, memory } = loadedKernel;
  const { rows: queryRows, dim } = query;
  const queryInt = new Int16Array(queryRows * dim);
  const queryScales = new Float32Array(queryRows);
  quantiseRows(query.data, queryRows, dim, queryScales, queryInt);
  const intAt = align(exports.heap_base());
  const scalesAt = align(intAt + queryInt.byteLength);
  const bestAt = align(scalesAt + queryRows * 4);
  const passageScalesAt = align(bestAt + queryRows * 4);
  const largest = passages.reduce((max, p) => Math.max(max, p.rows), 0);
  const codesAt = align(passageScalesAt + largest * 4);
  const needed = codesAt + largest * dim + 16;
  if (needed > memory.buffer.byteLength)
    memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65_536));
  const buffer = memory.buffer;
  new Int16Array(buffer, intAt, queryInt.length).set(queryInt);
  new Float32Array(buffer, scalesAt, queryRows).set(queryScales);
  const passageScales = new Float32Array(buffer, passageScalesAt, largest);
  const codes = new Int8Array(buffer, codesAt, largest * dim);
  const sums = new Float64Array(passages.length);
  passages.forEach((passage, index) => {
    if (passage.rows === 0 || queryRows === 0) return;
    passageScales.set(passage.scales.subarray(0, passage.rows));
    codes.set(passage.codes.subarray(0, passage.rows * dim));
    sums[index] = exports.maxsim_sum_i8(
      intAt,
      scalesAt,
      queryRows,
      codesAt,
      passageScalesAt,
      passage.rows,
      dim,
      bestAt,
    );
  });
  return sums;
}
