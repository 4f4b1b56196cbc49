import {
  copyFileSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { M3Encoder } from '../m3-encoder.js';
import { ModelFileError } from '../errors/model-file-error.js';
import { ProtobufWriter } from '../onnx/protobuf-writer.js';
import { externalDataNeeds } from '../onnx/external-data.js';
import { TINY_MODEL } from '../test-support/fixtures.js';
import {
  copyTinyModelFiles,
  temporaryDirectory,
  writeExternalDataGraph,
  writeWrongOutputsGraph,
} from '../test-support/synthetic-model.js';

const directories: string[] = [];
function modelDirectory(): string {
  const directory = temporaryDirectory('load');
  directories.push(directory);
  copyTinyModelFiles(directory);
  copyFileSync(join(TINY_MODEL, 'onnx', 'model.onnx'), join(directory, 'onnx', 'model.onnx'));
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

async function loadError(source: string, options = {}): Promise<ModelFileError> {
  try {
    const encoder = await M3Encoder.load(source, { threads: 1, ...options });
    await encoder.close();
  } catch (error) {
    if (ModelFileError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('load succeeded');
}

describe('loading a model directory', () => {
  it('loads a copy of the official layout', async () => {
    const encoder = await M3Encoder.load(modelDirectory(), { threads: 1 });
    expect(encoder.layout).toBe('official');
    const [result] = await encoder.encode(['hello']);
    expect(result!.dense!.length).toBe(32);
    await encoder.close();
  });

  it('names a source that does not exist', async () => {
    const error = await loadError('/nonexistent/m3kit/model');
    expect(error.file).toBe('/nonexistent/m3kit/model');
    expect(error.message).toMatch(/does not exist/);
  });

  it.each(['colbert_linear.pt', 'sparse_linear.pt', 'tokenizer.json', 'onnx/model.onnx'])(
    'names a missing %s',
    async (file) => {
      const directory = modelDirectory();
      unlinkSync(join(directory, file));
      if (file === 'onnx/model.onnx') unlinkSync(join(directory, 'config.json'));
      const error = await loadError(directory);
      expect(error.file).toBe(join(directory, file));
      expect(error.message).toMatch(/missing/);
    },
  );

  it.each([
    ['colbert_linear.pt', /cannot read it as a PyTorch state dict/],
    ['sparse_linear.pt', /cannot read it as a PyTorch state dict/],
    ['onnx/model.onnx', /not a valid ONNX model|onnxruntime cannot load it/],
    ['tokenizer.json', /cannot load the tokenizer/],
    ['config.json', /not valid JSON/],
  ])('names a damaged %s', async (file, message) => {
    const directory = modelDirectory();
    const path = join(directory, file);
    truncateSync(path, Math.floor(readFileSync(path).length / 2));
    const error = await loadError(directory);
    expect(error.file).toBe(path);
    expect(error.message).toMatch(message);
  });

  it('names a head whose shape does not fit the graph', async () => {
    const directory = modelDirectory();
    copyFileSync(join(TINY_MODEL, 'colbert_linear.pt'), join(directory, 'sparse_linear.pt'));
    const error = await loadError(directory);
    expect(error.file).toBe(join(directory, 'sparse_linear.pt'));
    expect(error.message).toMatch(/sparse head is 32x32, expected 1x32/);
  });

  it('refuses a graph with unexpected outputs, saying what it expected', async () => {
    const directory = modelDirectory();
    writeWrongOutputsGraph(join(directory, 'onnx', 'model.onnx'));
    const error = await loadError(directory);
    expect(error.file).toBe(join(directory, 'onnx', 'model.onnx'));
    expect(error.message).toMatch(/unexpected graph outputs \[logits\]/);
    expect(error.message).toMatch(/last_hidden_state or token_embeddings/);
  });
});

describe('external data (onnx/model.onnx_data)', () => {
  it('loads a graph whose weights live in model.onnx_data', async () => {
    const directory = modelDirectory();
    writeExternalDataGraph(directory);
    const encoder = await M3Encoder.load(directory, { threads: 1 });
    const [result] = await encoder.encode(['hello world']);
    expect(result!.colbert!.rows).toBe(result!.tokenCount - 1);
    await encoder.close();
  });

  it('runs a graph whose batch dimension is static (1) one text per run, with the same outputs', async () => {
    const dynamic = modelDirectory();
    writeExternalDataGraph(dynamic);
    const fixed = modelDirectory();
    writeExternalDataGraph(fixed, { staticBatch: 1 });
    const texts = ['one', 'two words', 'three words here', ''];
    const a = await M3Encoder.load(dynamic, { threads: 1 });
    const b = await M3Encoder.load(fixed, { threads: 1 });
    const batches = { dynamic: 0, fixed: 0 };
    const fromDynamic = await a.encode(texts, {
      onProgress: (event) => (batches.dynamic = event.batchesDone),
    });
    const fromFixed = await b.encode(texts, {
      onProgress: (event) => (batches.fixed = event.batchesDone),
    });
    expect(batches).toEqual({ dynamic: 1, fixed: 4 });
    fromFixed.forEach((result, index) => {
      expect(Array.from(result.dense!)).toEqual(Array.from(fromDynamic[index]!.dense!));
      expect(result.colbert!.rows).toBe(fromDynamic[index]!.colbert!.rows);
    });
    await Promise.all([a.close(), b.close()]);
  });

  it('names a missing model.onnx_data', async () => {
    const directory = modelDirectory();
    writeExternalDataGraph(directory);
    unlinkSync(join(directory, 'onnx', 'model.onnx_data'));
    const error = await loadError(directory);
    expect(error.file).toBe(join(directory, 'onnx', 'model.onnx_data'));
    expect(error.message).toMatch(/missing: model.onnx keeps 1024256 bytes/);
  });

  it('names a truncated model.onnx_data', async () => {
    const directory = modelDirectory();
    const size = writeExternalDataGraph(directory);
    truncateSync(join(directory, 'onnx', 'model.onnx_data'), size - 4);
    const error = await loadError(directory);
    expect(error.file).toBe(join(directory, 'onnx', 'model.onnx_data'));
    expect(error.message).toMatch(
      /holds 1024252 bytes, model.onnx needs 1024256: truncated or damaged/,
    );
  });

  it('finds external data of Constant node attributes too (as onnx/Constant_7_attr__value)', () => {
    const entry = (key: string, value: string) =>
      new ProtobufWriter().bytes(1, key).bytes(2, value);
    const tensor = new ProtobufWriter()
      .bytes(13, entry('location', 'Constant_7_attr__value'))
      .bytes(13, entry('offset', '0'))
      .bytes(13, entry('length', '65536'))
      .varint(14, 1);
    const attribute = new ProtobufWriter().bytes(1, 'value').bytes(5, tensor);
    const node = new ProtobufWriter().bytes(2, 'c').bytes(4, 'Constant').bytes(5, attribute);
    const model = new ProtobufWriter().bytes(7, new ProtobufWriter().bytes(1, node)).finish();
    expect(externalDataNeeds(model)).toEqual([
      { location: 'Constant_7_attr__value', bytesNeeded: 65536 },
    ]);
  });
});

describe('loading a single all-heads graph', () => {
  it('finds the tokenizer one folder up, and names a damaged graph file', async () => {
    const directory = modelDirectory();
    const file = join(directory, 'onnx', 'extra.onnx');
    copyFileSync(join(TINY_MODEL, 'm3kit', 'model.onnx'), file);
    const encoder = await M3Encoder.load(file, { threads: 1 });
    expect(encoder.layout).toBe('all-heads');
    await encoder.close();
    writeFileSync(file, 'not a graph');
    const error = await loadError(file);
    expect(error.file).toBe(file);
  });
});
