import { MAXSIM_WASM_BASE64 } from './maxsim-wasm-bytes.js';

// The few WebAssembly JS API members used here (core compiles without the DOM library).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
};

interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  maxsim(q: number, qn: number, p: number, pn: number, d: number, out: number): void;
}

const PAGE_BYTES = 65_536;
let kernel: KernelExports | null | undefined;

/** The WebAssembly SIMD kernel, or null where the runtime lacks WebAssembly SIMD. */
function loadKernel(): KernelExports | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Uint8Array.from(atob(MAXSIM_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    kernel = instance.exports as unknown as KernelExports;
  } catch {
    kernel = null;
  }
  return kernel;
}

export function maxSimKernelAvailable(): boolean {
  return loadKernel() !== null;
}

function ensureBytes(exports: KernelExports, bytes: number): void {
  const missing = bytes - exports.memory.buffer.byteLength;
  if (missing > 0) exports.memory.grow(Math.ceil(missing / PAGE_BYTES));
}

/**
 * For one query matrix and many passage matrices (same dim, a multiple of 4): per passage, the
 * sum over query rows of the best dot product with any passage row — the undivided MaxSim.
 * The query is copied into kernel memory once; each passage is copied just before it is scored,
 * so it is still in cache when the kernel reads it. Returns undefined without WebAssembly SIMD.
 */
export function maxSimSumsWasm(
  query: Float32Array,
  queryRows: number,
  passages: ReadonlyArray<{ readonly data: Float32Array; readonly rows: number }>,
  dim: number,
): Float64Array | undefined {
  const exports = loadKernel();
  if (exports === null || dim % 4 !== 0) return undefined;
  const queryBytes = queryRows * dim * 4;
  const outOffset = queryBytes;
  const passageOffset = outOffset + Math.ceil((queryRows * 4) / 16) * 16;
  const largest = passages.reduce((max, p) => Math.max(max, p.rows), 0);
  ensureBytes(exports, passageOffset + largest * dim * 4);
  const memory = new Float32Array(exports.memory.buffer);
  memory.set(query.subarray(0, queryRows * dim), 0);
  const out = new Float32Array(exports.memory.buffer, outOffset, queryRows);
  const sums = new Float64Array(passages.length);
  passages.forEach((passage, index) => {
    if (passage.rows === 0 || queryRows === 0) return;
    memory.set(passage.data.subarray(0, passage.rows * dim), passageOffset / 4);
    exports.maxsim(0, queryRows, passageOffset, passage.rows, dim, outOffset);
    let total = 0;
    for (let i = 0; i < queryRows; i++) total += out[i]!;
    sums[index] = total;
  });
  return sums;
}
