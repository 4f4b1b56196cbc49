// Test helpers: model directories built on the fly from the tiny fixture, with graphs written by
// the package's own ONNX writer (external data, wrong outputs, ...).
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ONNX_FLOAT, ONNX_INT64, buildOnnxModel } from '../onnx/onnx-builder.js';
import { TINY_MODEL } from './fixtures.js';

const HIDDEN = 32;
const VOCAB = 8002;

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `m3kit-${prefix}-`));
}

/** Copies the tiny model's heads, tokenizer and config (not its graph) into `directory`. */
export function copyTinyModelFiles(directory: string): void {
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  for (const file of [
    'colbert_linear.pt',
    'sparse_linear.pt',
    'tokenizer.json',
    'special_tokens_map.json',
    'config.json',
  ]) {
    copyFileSync(join(TINY_MODEL, file), join(directory, file));
  }
}

/**
 * A stand-in transformer: `token_embeddings = embeddings[input_ids]`, its table kept in
 * `onnx/model.onnx_data` as BAAI/bge-m3's export keeps its weights. Returns the data file's size.
 */
export function writeExternalDataGraph(
  directory: string,
  options: { dataFile?: string; staticBatch?: number; failOn?: 'batches' | 'everything' } = {},
): number {
  const dataFile = options.dataFile ?? 'model.onnx_data';
  const batch = options.staticBatch ?? 'batch';
  // failOn 'batches': Squeeze then Unsqueeze axis 0, which onnxruntime refuses when batch > 1;
  // 'everything': a 4-row table, so Gather fails on any real token id.
  const vocab = options.failOn === 'everything' ? 4 : VOCAB;
  const table = new Float32Array(vocab * HIDDEN);
  for (let i = 0; i < table.length; i++) table[i] = Math.sin(i * 0.37) * 0.5;
  const graph = buildOnnxModel({
    name: 'external_data_stand_in',
    opset: 17,
    irVersion: 8,
    nodes:
      options.failOn === 'batches'
        ? [
            {
              op: 'Gather',
              inputs: ['embeddings', 'input_ids'],
              outputs: ['gathered'],
              attributes: { axis: { int: 0 } },
            },
            { op: 'Squeeze', inputs: ['gathered', 'axis_zero'], outputs: ['one_row'] },
            { op: 'Unsqueeze', inputs: ['one_row', 'axis_zero'], outputs: ['token_embeddings'] },
          ]
        : [
            {
              op: 'Gather',
              inputs: ['embeddings', 'input_ids'],
              outputs: ['token_embeddings'],
              attributes: { axis: { int: 0 } },
            },
          ],
    initializers: [
      {
        name: 'embeddings',
        elementType: ONNX_FLOAT,
        dims: [vocab, HIDDEN],
        data: table,
        external: { location: dataFile, offset: 0 },
      },
      { name: 'axis_zero', elementType: ONNX_INT64, dims: [1], data: BigInt64Array.of(0n) },
    ],
    inputs: [
      { name: 'input_ids', elementType: ONNX_INT64, shape: [batch, 'sequence'] },
      { name: 'attention_mask', elementType: ONNX_INT64, shape: [batch, 'sequence'] },
    ],
    outputs: [
      { name: 'token_embeddings', elementType: ONNX_FLOAT, shape: [batch, 'sequence', HIDDEN] },
    ],
  });
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  writeFileSync(join(directory, 'onnx', 'model.onnx'), graph);
  writeFileSync(join(directory, 'onnx', dataFile), new Uint8Array(table.buffer));
  return table.byteLength;
}

/** A graph whose only output is `logits`: neither a hidden state nor the three heads. */
export function writeWrongOutputsGraph(file: string): void {
  writeFileSync(
    file,
    buildOnnxModel({
      name: 'wrong_outputs',
      opset: 17,
      irVersion: 8,
      nodes: [
        {
          op: 'Cast',
          inputs: ['input_ids'],
          outputs: ['logits'],
          attributes: { to: { int: ONNX_FLOAT } },
        },
      ],
      initializers: [],
      inputs: [
        { name: 'input_ids', elementType: ONNX_INT64, shape: ['batch', 'sequence'] },
        { name: 'attention_mask', elementType: ONNX_INT64, shape: ['batch', 'sequence'] },
      ],
      outputs: [{ name: 'logits', elementType: ONNX_FLOAT, shape: ['batch', 'sequence'] }],
    }),
  );
}
