// The few WebAssembly globals the ColBERT kernel uses. Node has them at run time, but neither
// the ES2023 lib nor @types/node 20 declares them, and pulling in the DOM lib would be wrong here.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
