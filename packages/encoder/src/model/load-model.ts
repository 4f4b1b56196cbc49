import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelFileError } from '../errors/model-file-error.js';
import { buildHeadsModel } from '../onnx/heads-graph.js';
import type { LinearWeights } from '../onnx/heads-graph.js';
import { externalDataNeeds } from '../onnx/external-data.js';
import { readTorchStateDict } from '../pytorch/state-dict.js';
import { openLocalHost } from '../runtime/local-host.js';
import type {
  GraphDescription,
  ModelHost,
  RunnerPlan,
  SessionOptions,
} from '../runtime/model-host.js';
import { HIDDEN_STATE_OUTPUTS, SPARSE_OUTPUTS } from '../runtime/model-runner.js';
import type { ModelRunner } from '../runtime/model-runner.js';
import { openWorkerHost } from '../runtime/worker-host.js';
import { M3Tokenizer } from '../tokenizer/m3-tokenizer.js';

export interface RuntimeOptions {
  /** onnxruntime intra-op threads; default: onnxruntime's (one per physical core). */
  readonly threads?: number;
  /** onnxruntime graph optimisation level; default 'all'. */
  readonly graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Where onnxruntime runs: `worker` (default), a worker thread, so the event loop stays free while
   * a batch runs; `main`, the calling thread (onnxruntime-node blocks it for the whole batch).
   */
  readonly inferenceThread?: 'worker' | 'main';
  /**
   * Whether onnxruntime's idle threads spin while waiting for work (default false). Spinning
   * shaves ~1-3 ms off a 40 ms query but burns the cores that writes, a database server or the
   * rest of the app need: over an ingest it cost ~3 CPU-seconds in 36 (bench/README.md).
   */
  readonly spinning?: boolean;
}

export interface LoadedModel {
  readonly directory: string;
  readonly onnxFile: string;
  readonly runner: ModelRunner;
  readonly tokenizer: M3Tokenizer;
  /** The model's own token limit: max_position_embeddings - pad_token_id - 1 (8192 for bge-m3). */
  readonly maxLength: number;
  /** Id padding is filled with: XLM-R derives positions from it, so it must be the model's. */
  readonly padId: number;
}

/** Graphs larger than this are not read into memory to check their external data references. */
const MAX_INSPECTED_GRAPH_BYTES = 512 * 1024 * 1024;
const DEFAULT_MODEL_MAX_LENGTH = 8192;

/**
 * Loads a model from a directory in BAAI/bge-m3's layout (`onnx/model.onnx` emitting the last
 * hidden state, `colbert_linear.pt`, `sparse_linear.pt`, `tokenizer.json`) or from an `.onnx`
 * file that emits all three heads (tokenizer files beside it or one folder up). The kind of graph
 * is told by its output names.
 */
export async function loadModel(
  source: string,
  options: RuntimeOptions & { onnxFile?: string },
): Promise<LoadedModel> {
  const sourcePath = resolve(source);
  const sourceStat = await statOrUndefined(sourcePath);
  if (!sourceStat) throw new ModelFileError({ file: sourcePath, message: 'does not exist' });
  let onnxFile: string;
  let searchDirectories: string[];
  let directory: string;
  if (sourceStat.isDirectory()) {
    directory = sourcePath;
    searchDirectories = [directory, join(directory, 'onnx')];
    if (options.onnxFile) onnxFile = resolve(directory, options.onnxFile);
    else {
      const candidates = [join(directory, 'onnx', 'model.onnx'), join(directory, 'model.onnx')];
      const found = await firstExisting(candidates);
      if (!found)
        throw new ModelFileError({
          file: candidates[0]!,
          message:
            'missing: expected the ONNX graph here (or model.onnx at the top of the directory)',
        });
      onnxFile = found;
    }
  } else {
    onnxFile = sourcePath;
    directory = dirname(sourcePath);
    searchDirectories = [directory, dirname(directory)];
  }

  await checkGraphFiles(onnxFile);
  const sessionOptions: SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    // onnxruntime-node flattens this to the session config key `session.intra_op.allow_spinning`.
    extra: { session: { intra_op: { allow_spinning: options.spinning === true ? '1' : '0' } } },
  };
  let host: ModelHost;
  try {
    host = await (options.inferenceThread === 'main' ? openLocalHost : openWorkerHost)(
      onnxFile,
      sessionOptions,
    );
  } catch (error) {
    throw new ModelFileError({
      file: onnxFile,
      message: `onnxruntime cannot load it (damaged or not an ONNX model): ${message(error)}`,
      cause: error,
    });
  }

  const tokenizerFile = await findFile(searchDirectories, 'tokenizer.json', true);
  const specialTokensMapFile = await findFile(searchDirectories, 'special_tokens_map.json', false);
  const configFile = await findFile(searchDirectories, 'config.json', false);
  const config = configFile ? await readJson(configFile) : {};
  let tokenizer: M3Tokenizer;
  try {
    tokenizer = await M3Tokenizer.fromFile(tokenizerFile, specialTokensMapFile);
  } catch (error) {
    await host.release();
    throw new ModelFileError({
      file: tokenizerFile,
      message: `cannot load the tokenizer: ${message(error)}`,
      cause: error,
    });
  }
  const padId =
    typeof config['pad_token_id'] === 'number' ? config['pad_token_id'] : tokenizer.specialIds.pad;
  const maxPositions = config['max_position_embeddings'];
  const maxLength =
    typeof maxPositions === 'number' ? maxPositions - padId - 1 : DEFAULT_MODEL_MAX_LENGTH;

  try {
    const runner = await host.start(
      await planRunner(host.graph, onnxFile, searchDirectories, config),
    );
    return { directory, onnxFile, runner, tokenizer, maxLength, padId };
  } catch (error) {
    await host.release();
    throw error;
  }
}

/** Decides from the graph's inputs and outputs how to run it: all heads in one graph, or BAAI's layout. */
async function planRunner(
  graph: GraphDescription,
  onnxFile: string,
  searchDirectories: string[],
  config: Record<string, unknown>,
): Promise<RunnerPlan> {
  const inputNames = graph.inputs.map((input) => input.name);
  const outputNames = graph.outputs.map((output) => output.name);
  for (const input of inputNames) {
    if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(input)) {
      throw new ModelFileError({
        file: onnxFile,
        message: `unexpected graph input "${input}": expected input_ids, attention_mask (and optionally token_type_ids)`,
      });
    }
  }
  if (!inputNames.includes('input_ids') || !inputNames.includes('attention_mask')) {
    throw new ModelFileError({
      file: onnxFile,
      message: `graph inputs [${inputNames.join(', ')}] lack input_ids or attention_mask`,
    });
  }
  const batchDimension = graph.inputs.find((input) => input.name === 'input_ids')?.shape?.[0];
  const fixedBatchSize =
    typeof batchDimension === 'number' && batchDimension > 0 ? batchDimension : undefined;
  const outputs = new Map(graph.outputs.map((output) => [output.name, output]));
  const lastDimension = (name: string): number | undefined => {
    const last = outputs.get(name)?.shape?.at(-1);
    return typeof last === 'number' ? last : undefined;
  };

  const sparseOutput = SPARSE_OUTPUTS.find((name) => outputs.has(name));
  if (outputs.has('dense_vecs') && outputs.has('colbert_vecs') && sparseOutput) {
    const denseDimension = lastDimension('dense_vecs') ?? numberOr(config['hidden_size'], 1024);
    const colbertDimension = lastDimension('colbert_vecs') ?? denseDimension;
    return { layout: 'all-heads', sparseOutput, denseDimension, colbertDimension, fixedBatchSize };
  }

  const hiddenOutput = HIDDEN_STATE_OUTPUTS.find((name) => outputs.has(name));
  if (!hiddenOutput) {
    throw new ModelFileError({
      file: onnxFile,
      message:
        `unexpected graph outputs [${outputNames.join(', ')}]: expected the last hidden state ` +
        `(${HIDDEN_STATE_OUTPUTS.join(' or ')}, [batch, sequence, hidden]) as in BAAI/bge-m3's onnx/model.onnx, ` +
        `or all three heads (dense_vecs, ${SPARSE_OUTPUTS.join(' or ')}, colbert_vecs)`,
    });
  }
  const colbertFile = await findFile(searchDirectories, 'colbert_linear.pt', true);
  const sparseFile = await findFile(searchDirectories, 'sparse_linear.pt', true);
  const colbert = await readLinear(colbertFile);
  const sparse = await readLinear(sparseFile);
  const hiddenSize =
    lastDimension(hiddenOutput) ?? numberOr(config['hidden_size'], colbert.inFeatures);
  if (colbert.inFeatures !== hiddenSize) {
    throw new ModelFileError({
      file: colbertFile,
      message: `ColBERT head takes ${colbert.inFeatures} features, the graph's hidden size is ${hiddenSize}`,
    });
  }
  if (sparse.inFeatures !== hiddenSize || sparse.outFeatures !== 1) {
    throw new ModelFileError({
      file: sparseFile,
      message: `sparse head is ${sparse.outFeatures}x${sparse.inFeatures}, expected 1x${hiddenSize}`,
    });
  }
  const headsModel = buildHeadsModel({ colbert, sparse });
  return {
    layout: 'official',
    hiddenOutput,
    headsModel,
    denseDimension: hiddenSize,
    colbertDimension: colbert.outFeatures,
    fixedBatchSize,
  };
}

/** Reads an nn.Linear state dict (`weight` [out, in], `bias` [out]) from a torch.save file. */
async function readLinear(file: string): Promise<LinearWeights> {
  let tensors: ReturnType<typeof readTorchStateDict>;
  try {
    tensors = readTorchStateDict(await readFile(file));
  } catch (error) {
    throw new ModelFileError({
      file,
      message: `cannot read it as a PyTorch state dict: ${message(error)}`,
      cause: error,
    });
  }
  const weight = tensors.get('weight');
  const bias = tensors.get('bias');
  if (weight?.shape.length !== 2 || bias?.shape.length !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new ModelFileError({
      file,
      message: `expected a Linear layer's weight [out, in] and bias [out], found ${[...tensors.keys()].join(', ') || 'nothing'}`,
    });
  }
  return {
    weight: weight.data,
    bias: bias.data,
    outFeatures: weight.shape[0]!,
    inFeatures: weight.shape[1]!,
  };
}

/**
 * Names a missing or short external data file (model.onnx_data) before onnxruntime reports a
 * less precise error, by reading where the graph says its tensors live.
 */
async function checkGraphFiles(onnxFile: string): Promise<void> {
  const graphStat = await statOrUndefined(onnxFile);
  if (!graphStat?.isFile()) throw new ModelFileError({ file: onnxFile, message: 'missing' });
  if (graphStat.size > MAX_INSPECTED_GRAPH_BYTES) return;
  let needs: ReturnType<typeof externalDataNeeds>;
  try {
    needs = externalDataNeeds(await readFile(onnxFile));
  } catch (error) {
    throw new ModelFileError({
      file: onnxFile,
      message: `not a valid ONNX model (${message(error)})`,
      cause: error,
    });
  }
  for (const need of needs) {
    const dataFile = resolve(dirname(onnxFile), need.location);
    const dataStat = await statOrUndefined(dataFile);
    if (!dataStat) {
      throw new ModelFileError({
        file: dataFile,
        message: `missing: ${basename(onnxFile)} keeps ${need.bytesNeeded} bytes of weights in it`,
      });
    }
    if (dataStat.size < need.bytesNeeded) {
      throw new ModelFileError({
        file: dataFile,
        message: `holds ${dataStat.size} bytes, ${basename(onnxFile)} needs ${need.bytesNeeded}: truncated or damaged`,
      });
    }
  }
}

async function findFile(
  directories: readonly string[],
  name: string,
  required: true,
): Promise<string>;
async function findFile(
  directories: readonly string[],
  name: string,
  required: false,
): Promise<string | undefined>;
async function findFile(
  directories: readonly string[],
  name: string,
  required: boolean,
): Promise<string | undefined> {
  const found = await firstExisting(directories.map((directory) => join(directory, name)));
  if (!found && required) {
    throw new ModelFileError({
      file: join(directories[0]!, name),
      message: `missing (looked in ${directories.join(', ')})`,
    });
  }
  return found;
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const path of paths) if ((await statOrUndefined(path))?.isFile()) return path;
  return undefined;
}

async function statOrUndefined(
  path: string,
): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ModelFileError({ file, message: `not valid JSON: ${message(error)}`, cause: error });
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
