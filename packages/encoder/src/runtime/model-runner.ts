import ort from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import {
  HEADS_INPUT_HIDDEN,
  HEADS_INPUT_MASK,
  HEADS_OUTPUT_COLBERT,
  HEADS_OUTPUT_DENSE,
  HEADS_OUTPUT_SPARSE,
} from '../onnx/heads-graph.js';

/** Which of the three outputs a batch must produce. */
export interface WantedOutputs {
  readonly dense: boolean;
  readonly sparse: boolean;
  readonly colbert: boolean;
}

/** One padded batch's raw outputs, batch-major. */
export interface BatchOutputs {
  readonly batchSize: number;
  readonly sequenceLength: number;
  /** [batch, denseDimension], already normalised. */
  readonly dense?: Float32Array;
  /** [batch, sequence]: relu(sparse head) per position, `<s>` included. */
  readonly sparse?: Float32Array;
  /** [batch, colbertRows, colbertDimension], normalised, masked. */
  readonly colbert?: Float32Array;
  readonly colbertRows: number;
  /** 1 when row 0 of `colbert` is `<s>` (a graph that did not drop it), else 0. */
  readonly colbertFirstRow: number;
}

/** Runs the transformer and the heads on one padded batch. */
export interface ModelRunner {
  readonly layout: 'official' | 'all-heads';
  readonly denseDimension: number;
  readonly colbertDimension: number;
  /** Rows the graph takes per run when its batch dimension is static (some exports fix it at 1). */
  readonly fixedBatchSize: number | undefined;
  run(
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    batchSize: number,
    sequenceLength: number,
    wanted: WantedOutputs,
  ): Promise<BatchOutputs>;
  close(): Promise<void>;
}

/** Names of a hidden-state graph's output, in order of preference. */
export const HIDDEN_STATE_OUTPUTS = ['last_hidden_state', 'token_embeddings'] as const;
/** Sparse output names of all-heads graphs ([batch, sequence] or [batch, sequence, 1]). */
export const SPARSE_OUTPUTS = ['sparse_weights', 'sparse_vecs'] as const;

function feeds(
  session: InferenceSession,
  inputIds: BigInt64Array,
  attentionMask: BigInt64Array,
  batchSize: number,
  sequenceLength: number,
): Record<string, ort.Tensor> {
  const dims = [batchSize, sequenceLength];
  const result: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', inputIds, dims),
    attention_mask: new ort.Tensor('int64', attentionMask, dims),
  };
  // XLM-R has one token type: exports that kept the input get zeros.
  if (session.inputNames.includes('token_type_ids')) {
    result['token_type_ids'] = new ort.Tensor(
      'int64',
      new BigInt64Array(batchSize * sequenceLength),
      dims,
    );
  }
  return result;
}

function floatData(value: ort.OnnxValue | undefined, name: string): Float32Array {
  if (!value || !(value.data instanceof Float32Array))
    throw new Error(`the graph gave no float32 ${name}`);
  return value.data;
}

/**
 * The official BAAI/bge-m3 layout: the transformer graph emits the last hidden state and a small
 * heads graph, built at load time from colbert_linear.pt and sparse_linear.pt, turns it into the
 * three outputs. Both run in onnxruntime.
 */
export class OfficialLayoutRunner implements ModelRunner {
  readonly layout = 'official' as const;

  constructor(
    private readonly transformer: InferenceSession,
    private readonly hiddenOutput: string,
    private readonly heads: InferenceSession,
    readonly denseDimension: number,
    readonly colbertDimension: number,
    readonly fixedBatchSize: number | undefined,
  ) {}

  async run(
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    batchSize: number,
    sequenceLength: number,
    wanted: WantedOutputs,
  ): Promise<BatchOutputs> {
    const transformerOutputs = await this.transformer.run(
      feeds(this.transformer, inputIds, attentionMask, batchSize, sequenceLength),
      [this.hiddenOutput],
    );
    const hidden = transformerOutputs[this.hiddenOutput];
    if (!hidden) throw new Error(`the graph gave no ${this.hiddenOutput}`);
    const fetches: string[] = [];
    if (wanted.dense) fetches.push(HEADS_OUTPUT_DENSE);
    if (wanted.sparse) fetches.push(HEADS_OUTPUT_SPARSE);
    if (wanted.colbert) fetches.push(HEADS_OUTPUT_COLBERT);
    const outputs = await this.heads.run(
      {
        [HEADS_INPUT_HIDDEN]: hidden as ort.Tensor,
        [HEADS_INPUT_MASK]: new ort.Tensor('int64', attentionMask, [batchSize, sequenceLength]),
      },
      fetches,
    );
    hidden.dispose?.();
    return {
      batchSize,
      sequenceLength,
      ...(wanted.dense
        ? { dense: floatData(outputs[HEADS_OUTPUT_DENSE], HEADS_OUTPUT_DENSE) }
        : {}),
      ...(wanted.sparse
        ? { sparse: floatData(outputs[HEADS_OUTPUT_SPARSE], HEADS_OUTPUT_SPARSE) }
        : {}),
      ...(wanted.colbert
        ? { colbert: floatData(outputs[HEADS_OUTPUT_COLBERT], HEADS_OUTPUT_COLBERT) }
        : {}),
      colbertRows: sequenceLength - 1,
      colbertFirstRow: 0,
    };
  }

  async close(): Promise<void> {
    await this.transformer.release();
    await this.heads.release();
  }
}

/** A single graph that already emits `dense_vecs`, `sparse_weights`/`sparse_vecs` and `colbert_vecs`. */
export class AllHeadsRunner implements ModelRunner {
  readonly layout = 'all-heads' as const;

  constructor(
    private readonly session: InferenceSession,
    private readonly sparseOutput: string,
    readonly denseDimension: number,
    readonly colbertDimension: number,
    readonly fixedBatchSize: number | undefined,
  ) {}

  async run(
    inputIds: BigInt64Array,
    attentionMask: BigInt64Array,
    batchSize: number,
    sequenceLength: number,
    wanted: WantedOutputs,
  ): Promise<BatchOutputs> {
    const fetches: string[] = [];
    if (wanted.dense) fetches.push(HEADS_OUTPUT_DENSE);
    if (wanted.sparse) fetches.push(this.sparseOutput);
    if (wanted.colbert) fetches.push(HEADS_OUTPUT_COLBERT);
    const outputs = await this.session.run(
      feeds(this.session, inputIds, attentionMask, batchSize, sequenceLength),
      fetches,
    );
    const colbert = outputs[HEADS_OUTPUT_COLBERT];
    // Some exports keep the `<s>` row: [batch, sequence, dim] rather than [batch, sequence - 1, dim].
    const colbertRows = colbert ? Number(colbert.dims[1]) : sequenceLength - 1;
    return {
      batchSize,
      sequenceLength,
      ...(wanted.dense
        ? { dense: floatData(outputs[HEADS_OUTPUT_DENSE], HEADS_OUTPUT_DENSE) }
        : {}),
      ...(wanted.sparse
        ? { sparse: floatData(outputs[this.sparseOutput], this.sparseOutput) }
        : {}),
      ...(wanted.colbert ? { colbert: floatData(colbert, HEADS_OUTPUT_COLBERT) } : {}),
      colbertRows,
      colbertFirstRow: colbertRows === sequenceLength ? 1 : 0,
    };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
