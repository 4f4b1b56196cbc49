import { ONNX_FLOAT, ONNX_INT64, buildOnnxModel } from './onnx-builder.js';
import type { InitializerSpec, NodeSpec } from './onnx-builder.js';

/** A torch `nn.Linear`'s parameters: `weight` is [out, in] row-major, `bias` is [out]. */
export interface LinearWeights {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
  readonly outFeatures: number;
  readonly inFeatures: number;
}

/** Names of the heads graph's inputs and outputs. */
export const HEADS_INPUT_HIDDEN = 'last_hidden_state';
export const HEADS_INPUT_MASK = 'attention_mask';
export const HEADS_OUTPUT_DENSE = 'dense_vecs';
export const HEADS_OUTPUT_SPARSE = 'sparse_weights';
export const HEADS_OUTPUT_COLBERT = 'colbert_vecs';

/** torch.nn.functional.normalize's default eps: x / max(||x||, eps). */
const NORMALIZE_EPS = 1e-12;
const INT64_MAX = 0x7fffffffffffffffn;

/**
 * Builds the BGE-M3 heads as a small ONNX graph applied to the transformer's last hidden state,
 * in FlagEmbedding's order of operations (EncoderOnlyEmbedderM3ModelForInference.forward):
 *
 * - dense_vecs = normalize(h[:, 0])
 * - sparse_weights = relu(sparse_linear(h)).squeeze(-1)          (every position, `<s>` included)
 * - colbert_vecs = normalize(colbert_linear(h[:, 1:]) * mask[:, 1:, None])
 *
 * normalize is `x / max(||x||_2, 1e-12)` over the last axis, as torch's F.normalize. Running the
 * 1024x1024 ColBERT projection in onnxruntime keeps it at native speed.
 */
export function buildHeadsModel(heads: {
  colbert: LinearWeights;
  sparse: LinearWeights;
}): Uint8Array {
  const { colbert, sparse } = heads;
  const hidden = colbert.inFeatures;
  if (sparse.inFeatures !== hidden || sparse.outFeatures !== 1) {
    throw new Error(
      `sparse head is ${sparse.outFeatures}x${sparse.inFeatures}, expected 1x${hidden}`,
    );
  }
  const initializers: InitializerSpec[] = [
    floatTensor('colbert_weight_t', [hidden, colbert.outFeatures], transpose(colbert)),
    floatTensor('colbert_bias', [colbert.outFeatures], colbert.bias),
    floatTensor('sparse_weight_t', [hidden, 1], transpose(sparse)),
    floatTensor('sparse_bias', [1], sparse.bias),
    floatTensor('eps', [], Float32Array.of(NORMALIZE_EPS)),
    int64Tensor('zero', [], [0n]),
    int64Tensor('one_1d', [1], [1n]),
    int64Tensor('end_1d', [1], [INT64_MAX]),
    int64Tensor('axis_last', [1], [-1n]),
  ];
  const nodes: NodeSpec[] = [
    // dense
    {
      op: 'Gather',
      inputs: [HEADS_INPUT_HIDDEN, 'zero'],
      outputs: ['cls'],
      attributes: { axis: { int: 1 } },
    },
    {
      op: 'ReduceL2',
      inputs: ['cls'],
      outputs: ['cls_norm'],
      attributes: { axes: { ints: [-1] }, keepdims: { int: 1 } },
    },
    { op: 'Max', inputs: ['cls_norm', 'eps'], outputs: ['cls_denominator'] },
    { op: 'Div', inputs: ['cls', 'cls_denominator'], outputs: [HEADS_OUTPUT_DENSE] },
    // sparse
    { op: 'MatMul', inputs: [HEADS_INPUT_HIDDEN, 'sparse_weight_t'], outputs: ['sparse_product'] },
    { op: 'Add', inputs: ['sparse_product', 'sparse_bias'], outputs: ['sparse_linear'] },
    { op: 'Relu', inputs: ['sparse_linear'], outputs: ['sparse_relu'] },
    { op: 'Squeeze', inputs: ['sparse_relu', 'axis_last'], outputs: [HEADS_OUTPUT_SPARSE] },
    // colbert
    {
      op: 'Slice',
      inputs: [HEADS_INPUT_HIDDEN, 'one_1d', 'end_1d', 'one_1d'],
      outputs: ['tokens'],
    },
    { op: 'MatMul', inputs: ['tokens', 'colbert_weight_t'], outputs: ['colbert_product'] },
    { op: 'Add', inputs: ['colbert_product', 'colbert_bias'], outputs: ['colbert_linear'] },
    {
      op: 'Slice',
      inputs: [HEADS_INPUT_MASK, 'one_1d', 'end_1d', 'one_1d'],
      outputs: ['mask_tail'],
    },
    {
      op: 'Cast',
      inputs: ['mask_tail'],
      outputs: ['mask_float'],
      attributes: { to: { int: ONNX_FLOAT } },
    },
    { op: 'Unsqueeze', inputs: ['mask_float', 'axis_last'], outputs: ['mask_column'] },
    { op: 'Mul', inputs: ['colbert_linear', 'mask_column'], outputs: ['colbert_masked'] },
    {
      op: 'ReduceL2',
      inputs: ['colbert_masked'],
      outputs: ['colbert_norm'],
      attributes: { axes: { ints: [-1] }, keepdims: { int: 1 } },
    },
    { op: 'Max', inputs: ['colbert_norm', 'eps'], outputs: ['colbert_denominator'] },
    {
      op: 'Div',
      inputs: ['colbert_masked', 'colbert_denominator'],
      outputs: [HEADS_OUTPUT_COLBERT],
    },
  ];
  return buildOnnxModel({
    name: 'bge_m3_heads',
    opset: 17,
    irVersion: 8,
    nodes,
    initializers,
    inputs: [
      { name: HEADS_INPUT_HIDDEN, elementType: ONNX_FLOAT, shape: ['batch', 'sequence', hidden] },
      { name: HEADS_INPUT_MASK, elementType: ONNX_INT64, shape: ['batch', 'sequence'] },
    ],
    outputs: [
      { name: HEADS_OUTPUT_DENSE, elementType: ONNX_FLOAT, shape: ['batch', hidden] },
      { name: HEADS_OUTPUT_SPARSE, elementType: ONNX_FLOAT, shape: ['batch', 'sequence'] },
      {
        name: HEADS_OUTPUT_COLBERT,
        elementType: ONNX_FLOAT,
        shape: ['batch', 'sequence_minus_1', colbert.outFeatures],
      },
    ],
  });
}

/** [out, in] -> [in, out], so MatMul(h, W^T) is torch's h @ W.T. */
function transpose(linear: LinearWeights): Float32Array {
  const { weight, outFeatures, inFeatures } = linear;
  const out = new Float32Array(weight.length);
  for (let o = 0; o < outFeatures; o++) {
    for (let i = 0; i < inFeatures; i++) out[i * outFeatures + o] = weight[o * inFeatures + i]!;
  }
  return out;
}

function floatTensor(name: string, dims: number[], data: Float32Array): InitializerSpec {
  return { name, elementType: ONNX_FLOAT, dims, data };
}

function int64Tensor(name: string, dims: number[], values: bigint[]): InitializerSpec {
  return { name, elementType: ONNX_INT64, dims, data: BigInt64Array.from(values) };
}
