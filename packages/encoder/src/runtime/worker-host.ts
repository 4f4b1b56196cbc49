import { Worker } from 'node:worker_threads';
import { disableOnnxTelemetry } from './onnx-environment.js';
import type { GraphDescription, ModelHost, RunnerPlan, SessionOptions } from './model-host.js';
import type { BatchOutputs, ModelRunner, WantedOutputs } from './model-runner.js';
import type { WorkerReply, WorkerRequest, WorkerResults } from './worker-protocol.js';

type Method = WorkerRequest['method'];
type ArgumentsOf<M extends Method> = Omit<
  Extract<WorkerRequest, { readonly method: M }>,
  'id' | 'method'
>;

/**
 * Runs the model's sessions in a worker thread. onnxruntime-node runs a session synchronously in
 * the thread that calls it, so on the main thread every batch would freeze the event loop: an
 * ingest's writes, progress and abort could only move between batches.
 */
export async function openWorkerHost(
  onnxFile: string,
  sessionOptions: SessionOptions,
): Promise<ModelHost> {
  // In this thread: a worker's process.env is a copy that onnxruntime's getenv() never sees.
  disableOnnxTelemetry();
  const worker = new InferenceWorker();
  try {
    const graph = await worker.call('open', { onnxFile, sessionOptions });
    return new WorkerHost(worker, graph);
  } catch (error) {
    await worker.terminate();
    throw error;
  }
}

class WorkerHost implements ModelHost {
  constructor(
    private readonly worker: InferenceWorker,
    readonly graph: GraphDescription,
  ) {}

  async start(plan: RunnerPlan): Promise<ModelRunner> {
    await this.worker.call('start', { plan });
    return new WorkerRunner(this.worker, plan);
  }

  async release(): Promise<void> {
    await this.worker.close();
  }
}

class WorkerRunner implements ModelRunner {
  readonly layout: 'official' | 'all-heads';
  readonly denseDimension: number;
  readonly colbertDimension: number;
  readonly fixedBatchSize: number | undefined;

  constructor(
    private readonly worker: InferenceWorker,
    plan: RunnerPlan,
  ) {
    this.layout = plan.layout;
    this.denseDimension = plan.denseDimension;
    this.colbertDimension = plan.colbertDimension;
    this.fixedBatchSize = plan.fixedBatchSize;
  }

  async run(
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    batchSize: number,
    sequenceLength: number,
    wanted: WantedOutputs,
  ): Promise<BatchOutputs> {
    // The inputs are copied (a few KB); the outputs, up to tens of MB, are transferred back.
    return this.worker.call('run', { inputIds, attentionMask, batchSize, sequenceLength, wanted });
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}

interface Pending {
  readonly resolve: (value: WorkerResults[keyof WorkerResults]) => void;
  readonly reject: (error: Error) => void;
}

/** A worker thread answering requests by id. It keeps the process alive only while a request is pending. */
class InferenceWorker {
  // No flags of the parent process: the worker runs this package's own JavaScript, and some flags
  // (`--input-type` of `node -e`, a TypeScript loader) would stop it from starting.
  private readonly worker = new Worker(workerScript(), { execArgv: [] });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  constructor() {
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (error: Error) =>
      this.fail(new Error(`the inference worker failed: ${error.message}`, { cause: error })),
    );
    this.worker.on('messageerror', (error: Error) =>
      this.fail(
        new Error(`a message from the inference worker could not be read: ${error.message}`),
      ),
    );
    this.worker.on('exit', (code: number) =>
      this.fail(new Error(`the inference worker stopped (exit code ${code})`)),
    );
  }

  call<M extends Method>(method: M, args: ArgumentsOf<M>): Promise<WorkerResults[M]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<WorkerResults[M]>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      // Replies are matched by id, so each carries the result type of the method asked.
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.worker.postMessage({ ...args, method, id });
    });
  }

  /** Releases the sessions, then ends the thread; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.failure) await this.call('release', {});
      } finally {
        await this.terminate();
      }
    })();
    return this.closing;
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('the encoder is closed');
    await this.worker.terminate();
  }

  private settle(reply: WorkerReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(new Error(reply.message));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }
}

/**
 * The worker's module is this package's build of inference-worker.ts. Tests run the TypeScript
 * sources, which a worker thread cannot load, so from src/ the build beside it is used.
 */
function workerScript(): URL {
  const here = import.meta.url;
  const script = new URL('./inference-worker.js', here);
  return here.endsWith('.ts')
    ? new URL(
        script.href.replace(
          /\/src\/runtime\/inference-worker\.js$/,
          '/dist/runtime/inference-worker.js',
        ),
      )
    : script;
}
