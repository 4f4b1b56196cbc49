import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import { describeSession } from './model-host.js';
import { disableOnnxTelemetry } from './onnx-environment.js';
import type { GraphDescription, ModelHost, RunnerPlan, SessionOptions } from './model-host.js';
import { AllHeadsRunner, OfficialLayoutRunner } from './model-runner.js';
import type { ModelRunner } from './model-runner.js';

/** Runs the model's sessions in the calling thread: inference blocks that thread's event loop. */
export async function openLocalHost(
  onnxFile: string,
  sessionOptions: SessionOptions,
): Promise<ModelHost> {
  disableOnnxTelemetry();
  const session = await ort.InferenceSession.create(onnxFile, sessionOptions);
  return new LocalHost(session, sessionOptions);
}

class LocalHost implements ModelHost {
  readonly graph: GraphDescription;

  constructor(
    private readonly session: InferenceSession,
    private readonly sessionOptions: SessionOptions,
  ) {
    this.graph = describeSession(session);
  }

  async start(plan: RunnerPlan): Promise<ModelRunner> {
    if (plan.layout === 'all-heads') {
      return new AllHeadsRunner(
        this.session,
        plan.sparseOutput,
        plan.denseDimension,
        plan.colbertDimension,
        plan.fixedBatchSize,
      );
    }
    // The heads are ~1/300 of the transformer's work: one thread, run in the caller's thread, so no
    // second pool of spinning threads competes with the transformer's for the cores.
    const heads = await ort.InferenceSession.create(plan.headsModel, {
      ...this.sessionOptions,
      intraOpNumThreads: 1,
    });
    return new OfficialLayoutRunner(
      this.session,
      plan.hiddenOutput,
      heads,
      plan.denseDimension,
      plan.colbertDimension,
      plan.fixedBatchSize,
    );
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
