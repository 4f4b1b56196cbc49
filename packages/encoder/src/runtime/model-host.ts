import type { InferenceSession } from 'onnxruntime-node';
import type { ModelRunner } from './model-runner.js';

/** One graph input or output as the loader needs it: its name and shape (numbers or symbolic names). */
export interface GraphValue {
  readonly name: string;
  /** Undefined for a value that is not a tensor. */
  readonly shape: ReadonlyArray<number | string> | undefined;
}

/** What a loaded graph takes and gives, in a form that crosses a thread boundary. */
export interface GraphDescription {
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
}

/** A graph that already emits the three heads. */
export interface AllHeadsPlan {
  readonly layout: 'all-heads';
  readonly sparseOutput: string;
  readonly denseDimension: number;
  readonly colbertDimension: number;
  readonly fixedBatchSize: number | undefined;
}

/** BAAI/bge-m3's layout: a hidden-state graph, then the heads graph built from the .pt files. */
export interface OfficialPlan {
  readonly layout: 'official';
  readonly hiddenOutput: string;
  /** The serialised heads graph (see onnx/heads-graph.ts). */
  readonly headsModel: Uint8Array;
  readonly denseDimension: number;
  readonly colbertDimension: number;
  readonly fixedBatchSize: number | undefined;
}

export type RunnerPlan = AllHeadsPlan | OfficialPlan;

/**
 * Owns the onnxruntime sessions of one model: opened on a graph file, it describes the graph so
 * the loader can decide the layout, then starts the runner the loader planned.
 */
export interface ModelHost {
  readonly graph: GraphDescription;
  start(plan: RunnerPlan): Promise<ModelRunner>;
  /** Frees everything; after `start`, the runner's `close` does this. */
  release(): Promise<void>;
}

/** Options every session of a model is created with; plain data, so they can be posted to a worker. */
export type SessionOptions = InferenceSession.SessionOptions;

export function describeSession(session: InferenceSession): GraphDescription {
  const values = (metadata: readonly InferenceSession.ValueMetadata[]): GraphValue[] =>
    metadata.map((meta) => ({
      name: meta.name,
      shape: meta.isTensor ? [...meta.shape] : undefined,
    }));
  return { inputs: values(session.inputMetadata), outputs: values(session.outputMetadata) };
}
