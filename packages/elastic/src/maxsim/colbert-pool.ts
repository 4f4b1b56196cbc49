import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DimensionMismatchError, InvalidInputError, type MultiVector } from '@m3kit/core';
import { quantiseRows } from '../colbert-codec.js';
import { compiledModule } from './colbert-scorer.js';

/**
 * ColBERT rescoring on worker threads, one WebAssembly MaxSim instance each, so a query's
 * candidates are scored on every core while the main thread keeps fetching the next chunk.
 * 100 candidates x 256 rows is ~0.84 G multiply-adds: ~60-70 ms on one core of the 2-core
 * AVX2 machine, about half that on two (bench/elastic-colbert-rescore.mjs).
 *
 * A task is one `_mget` response as it arrived (CBOR bytes, transferred, not copied) plus the
 * offset and length of each candidate's blob inside it: the worker copies the whole response
 * into its module's memory once and scores each blob in place.
 */
export interface ColbertTask {
  /** The response bytes; their buffer is transferred to the worker (unusable here afterwards). */
  readonly bytes: Uint8Array;
  /** Pairs of (offset, length) of each blob within `bytes`. */
  readonly spans: Uint32Array;
}

/** What the main thread sends: the query in both forms, once per task (64 KiB at 32 x 1024). */
interface WorkerRequest {
  readonly id: number;
  readonly queryFloat: Float32Array;
  readonly queryInt: Int16Array;
  readonly queryScales: Float32Array;
  readonly queryRows: number;
  readonly dim: number;
  readonly bytes: Uint8Array;
  readonly spans: Uint32Array;
}

type WorkerReply =
  | { readonly id: number; readonly scores: Float64Array }
  | { readonly id: number; readonly error: string; readonly actualDim?: number };

/**
 * The worker's whole program. It runs from its source text (`new Worker(code, { eval: true })`),
 * so it imports nothing: it gets the compiled module through workerData and re-reads the blob
 * header itself (layout in colbert-codec.ts). `require` is the CommonJS one of an eval worker.
 */
function colbertWorkerMain(): void {
  const { parentPort, workerData } = require('node:worker_threads');
  const memory = new WebAssembly.Memory({ initial: 32 });
  const instance = new WebAssembly.Instance(workerData.module, { env: { memory } });
  const kernels = instance.exports as Record<string, (...args: number[]) => number>;
  const heapBase = kernels.heap_base!();
  const align = (pointer: number): number => Math.ceil(pointer / 16) * 16;
  parentPort.on('message', (task: WorkerRequest) => {
    try {
      const { queryRows, dim } = task;
      const floatAt = align(heapBase);
      const intAt = align(floatAt + task.queryFloat.byteLength);
      const scalesAt = align(intAt + task.queryInt.byteLength);
      const bestAt = align(scalesAt + queryRows * 4);
      const stagingAt = align(bestAt + queryRows * 4);
      const needed = stagingAt + task.bytes.byteLength + 16;
      if (needed > memory.buffer.byteLength)
        memory.grow(Math.ceil((needed - memory.buffer.byteLength) / 65_536));
      const buffer = memory.buffer;
      new Float32Array(buffer, floatAt, task.queryFloat.length).set(task.queryFloat);
      new Int16Array(buffer, intAt, task.queryInt.length).set(task.queryInt);
      new Float32Array(buffer, scalesAt, queryRows).set(task.queryScales);
      new Uint8Array(buffer, stagingAt, task.bytes.byteLength).set(task.bytes);
      const view = new DataView(buffer);
      const scores = new Float64Array(task.spans.length / 2);
      for (let i = 0; i < scores.length; i++) {
        const at = stagingAt + task.spans[2 * i]!;
        const length = task.spans[2 * i + 1]!;
        const code = length >= 12 && view.getUint8(at) === 1 ? view.getUint8(at + 1) : 0;
        const valueBytes = code === 1 ? 2 : code === 2 ? 4 : code === 3 ? 1 : 0;
        const rows = length >= 12 ? view.getUint32(at + 4, true) : 0;
        const blobDim = length >= 12 ? view.getUint32(at + 8, true) : 0;
        const scalesBytes = code === 2 ? 0 : rows * 4;
        if (valueBytes === 0 || 12 + scalesBytes + rows * blobDim * valueBytes !== length) {
          parentPort.postMessage({
            id: task.id,
            error: 'stored ColBERT blob has an unknown format',
          });
          return;
        }
        if (blobDim !== dim) {
          parentPort.postMessage({ id: task.id, error: 'dim', actualDim: blobDim });
          return;
        }
        if (queryRows === 0) continue;
        const values = at + 12 + scalesBytes;
        const sum =
          code === 2
            ? kernels.maxsim_sum_f32!(floatAt, queryRows, values, rows, dim, bestAt)
            : kernels[code === 3 ? 'maxsim_sum_i8' : 'maxsim_sum_i16']!(
                intAt,
                scalesAt,
                queryRows,
                values,
                at + 12,
                rows,
                dim,
                bestAt,
              );
        scores[i] = sum / queryRows;
      }
      parentPort.postMessage({ id: task.id, scores }, [scores.buffer]);
    } catch (error) {
      parentPort.postMessage({ id: task.id, error: String(error) });
    }
  });
}

const WORKER_SOURCE = `(${colbertWorkerMain.toString()})();`;

interface Pending {
  readonly resolve: (scores: Float64Array) => void;
  readonly reject: (error: Error) => void;
  readonly worker: PoolWorker;
  readonly dim: number;
}

interface PoolWorker {
  readonly worker: Worker;
  inFlight: number;
}

/**
 * A fixed set of scoring workers shared by every store in the process (they hold no per-store
 * state). Idle workers are unref'd, so they never keep the process alive; a worker with work in
 * flight is ref'd, so awaiting its answer does.
 */
export class ColbertWorkerPool {
  readonly threads: number;
  private readonly workers: PoolWorker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(threads: number, module: WebAssembly.Module) {
    this.threads = threads;
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module } });
      const entry: PoolWorker = { worker, inFlight: 0 };
      worker.unref();
      worker.on('message', (reply: WorkerReply) => this.settle(reply));
      worker.on('error', (error) => this.failAll(entry, error));
      return entry;
    });
  }

  /** Scores every blob of one task against the query; the task's buffer is transferred. */
  score(query: PreparedQuery, task: ColbertTask): Promise<Float64Array> {
    const target = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
    const id = this.nextId++;
    const bytes =
      task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength
        ? task.bytes
        : task.bytes.slice(); // shares its buffer with other data: send a copy of its own
    const request: WorkerRequest = { id, ...query, bytes, spans: task.spans };
    return new Promise<Float64Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker: target, dim: query.dim });
      if (target.inFlight++ === 0) target.worker.ref();
      target.worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
    });
  }

  /** Whether no task is waiting for an answer. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  /** Stops every worker; the pool cannot be used afterwards. */
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (--pending.worker.inFlight === 0) pending.worker.worker.unref();
    if ('scores' in reply) pending.resolve(reply.scores);
    else if (reply.error === 'dim')
      pending.reject(
        new DimensionMismatchError({
          what: 'stored ColBERT vectors',
          expected: pending.dim,
          actual: reply.actualDim ?? -1,
        }),
      );
    else pending.reject(new InvalidInputError(reply.error));
  }

  private failAll(entry: PoolWorker, error: Error): void {
    for (const [id, pending] of this.pending) {
      if (pending.worker !== entry) continue;
      this.pending.delete(id);
      pending.reject(error);
    }
    entry.inFlight = 0;
    entry.worker.unref();
  }
}

/** The query quantised once, in the shape the workers take. */
export interface PreparedQuery {
  readonly queryFloat: Float32Array;
  readonly queryInt: Int16Array;
  readonly queryScales: Float32Array;
  readonly queryRows: number;
  readonly dim: number;
}

export function prepareQuery(query: MultiVector): PreparedQuery {
  const queryInt = new Int16Array(query.rows * query.dim);
  const queryScales = new Float32Array(query.rows);
  quantiseRows(query.data, query.rows, query.dim, queryScales, queryInt);
  return { queryFloat: query.data, queryInt, queryScales, queryRows: query.rows, dim: query.dim };
}

let shared: ColbertWorkerPool | null | undefined;

/**
 * The process's pool, started on first use with one worker a core (`threads`, default
 * availableParallelism()); null when it would not help (one core) or cannot run (no WebAssembly
 * SIMD, or workers fail to start), and the caller scores on its own thread.
 */
export function sharedColbertPool(threads = availableParallelism()): ColbertWorkerPool | null {
  if (threads < 2) return null;
  if (shared === undefined || (shared !== null && shared.threads !== threads)) {
    const module = compiledModule();
    try {
      shared = module === null ? null : new ColbertWorkerPool(threads, module);
    } catch {
      shared = null;
    }
  }
  return shared;
}

/**
 * Stops the process's pool when no task is in flight (a store's close() calls it); the next
 * ColBERT query of any store starts a fresh one. Unref'd idle workers were measured to keep a
 * process alive after an ES hybrid query in `m3 serve` (SIGTERM: "stopped", but no exit), so
 * closing the store ends them explicitly rather than relying on unref.
 */
export async function releaseIdleColbertPool(): Promise<void> {
  const pool = shared;
  if (pool === undefined || pool === null || !pool.idle) return;
  shared = undefined;
  await pool.terminate();
}
