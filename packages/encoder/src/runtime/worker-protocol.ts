import type { GraphDescription, RunnerPlan, SessionOptions } from './model-host.js';
import type { BatchOutputs, WantedOutputs } from './model-runner.js';

/** What the main thread asks the inference worker; each request carries an id its reply repeats. */
export type WorkerRequest =
  | {
      readonly id: number;
      readonly method: 'open';
      readonly onnxFile: string;
      readonly sessionOptions: SessionOptions;
    }
  | { readonly id: number; readonly method: 'start'; readonly plan: RunnerPlan }
  | {
      readonly id: number;
      readonly method: 'run';
      readonly inputIds: BigInt64Array;
      readonly attentionMask: BigInt64Array;
      readonly batchSize: number;
      readonly sequenceLength: number;
      readonly wanted: WantedOutputs;
    }
  | { readonly id: number; readonly method: 'release' };

/** The value each method answers with. */
export interface WorkerResults {
  readonly open: GraphDescription;
  readonly start: null;
  readonly run: BatchOutputs;
  readonly release: null;
}

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: WorkerResults[keyof WorkerResults] }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The buffers of a batch's outputs, each once: they move to the other thread instead of being copied. */
export function outputBuffers(outputs: BatchOutputs): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of [outputs.dense, outputs.sparse, outputs.colbert]) {
    if (array && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
  }
  return [...buffers];
}
