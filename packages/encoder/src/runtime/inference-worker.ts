// The inference worker's entry: it owns the onnxruntime sessions, so a batch's run (seconds on a
// large model) never blocks the main thread's event loop, where writes, progress and aborts go on.
import { parentPort } from 'node:worker_threads';
import { openLocalHost } from './local-host.js';
import type { ModelHost } from './model-host.js';
import type { ModelRunner } from './model-runner.js';
import { outputBuffers } from './worker-protocol.js';
import type { WorkerReply, WorkerRequest, WorkerResults } from './worker-protocol.js';

const port = parentPort;
if (!port)
  throw new Error('inference-worker.js runs inside a worker thread, started by the encoder');

let host: ModelHost | undefined;
let runner: ModelRunner | undefined;

port.on('message', (request: WorkerRequest) => {
  answer(request).then(
    ({ value, transfer }) =>
      port.postMessage({ id: request.id, ok: true, value } satisfies WorkerReply, transfer),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies WorkerReply),
  );
});

async function answer(
  request: WorkerRequest,
): Promise<{ value: WorkerResults[keyof WorkerResults]; transfer: ArrayBuffer[] }> {
  switch (request.method) {
    case 'open':
      host = await openLocalHost(request.onnxFile, request.sessionOptions);
      return { value: host.graph, transfer: [] };
    case 'start':
      runner = await opened(host).start(request.plan);
      return { value: null, transfer: [] };
    case 'run': {
      if (!runner) throw new Error('the model runner was not started');
      const outputs = await runner.run(
        request.inputIds,
        request.attentionMask,
        request.batchSize,
        request.sequenceLength,
        request.wanted,
      );
      return { value: outputs, transfer: outputBuffers(outputs) };
    }
    case 'release':
      if (runner) await runner.close();
      else if (host) await host.release();
      runner = undefined;
      host = undefined;
      return { value: null, transfer: [] };
  }
}

function opened(current: ModelHost | undefined): ModelHost {
  if (!current) throw new Error('no graph is open');
  return current;
}
