import { ProtobufWriter } from './protobuf-writer.js';

// Field numbers and enum values from onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto, ...).
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

export type AttributeValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/** A tensor input or output; a dimension is a size or a symbolic name. */
export interface ValueSpec {
  readonly name: string;
  readonly elementType: number;
  readonly shape: readonly (number | string)[];
}

export interface InitializerSpec {
  readonly name: string;
  readonly elementType: typeof ONNX_FLOAT | typeof ONNX_INT64;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
  /**
   * Store the values outside the graph, in `location` (relative to the model file) at `offset`:
   * the caller writes that file; the graph only records where the bytes are.
   */
  readonly external?: { readonly location: string; readonly offset: number };
}

export interface ModelSpec {
  readonly name: string;
  readonly opset: number;
  readonly irVersion: number;
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers: readonly InitializerSpec[];
  readonly producer?: string;
}

/** Serialises a single-graph ONNX model (ModelProto) from plain specs. */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  const graph = new ProtobufWriter();
  spec.nodes.forEach((node, index) => {
    graph.bytes(1, nodeProto(node, index));
  });
  graph.bytes(2, spec.name);
  for (const initializer of spec.initializers) graph.bytes(5, tensorProto(initializer));
  for (const input of spec.inputs) graph.bytes(11, valueInfoProto(input));
  for (const output of spec.outputs) graph.bytes(12, valueInfoProto(output));

  const model = new ProtobufWriter();
  model.varint(1, spec.irVersion);
  model.bytes(2, spec.producer ?? '@m3kit/encoder');
  model.bytes(7, graph);
  model.bytes(8, new ProtobufWriter().bytes(1, '').varint(2, spec.opset));
  return model.finish();
}

function nodeProto(node: NodeSpec, index: number): ProtobufWriter {
  const proto = new ProtobufWriter();
  for (const input of node.inputs) proto.bytes(1, input);
  for (const output of node.outputs) proto.bytes(2, output);
  proto.bytes(3, `${node.op.toLowerCase()}_${index}`);
  proto.bytes(4, node.op);
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    const attribute = new ProtobufWriter().bytes(1, name);
    if ('int' in value) attribute.varint(20, ATTRIBUTE_INT).varint(3, value.int);
    else if ('float' in value) attribute.varint(20, ATTRIBUTE_FLOAT).float(2, value.float);
    else attribute.varint(20, ATTRIBUTE_INTS).packedVarints(8, value.ints);
    proto.bytes(5, attribute);
  }
  return proto;
}

function tensorProto(initializer: InitializerSpec): ProtobufWriter {
  const { data } = initializer;
  const expected = initializer.dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new Error(
      `initializer ${initializer.name}: ${data.length} values for dims [${initializer.dims.join(', ')}]`,
    );
  }
  // raw_data is little-endian; typed arrays are in platform order, little-endian on every
  // platform onnxruntime-node ships for.
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const proto = new ProtobufWriter()
    .packedVarints(1, initializer.dims)
    .varint(2, initializer.elementType)
    .bytes(8, initializer.name);
  if (!initializer.external) return proto.bytes(9, raw);
  const entry = (key: string, value: string): ProtobufWriter =>
    new ProtobufWriter().bytes(1, key).bytes(2, value);
  return proto
    .bytes(13, entry('location', initializer.external.location))
    .bytes(13, entry('offset', String(initializer.external.offset)))
    .bytes(13, entry('length', String(raw.length)))
    .varint(14, 1);
}

function valueInfoProto(value: ValueSpec): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const dim of value.shape) {
    shape.bytes(
      1,
      typeof dim === 'number'
        ? new ProtobufWriter().varint(1, dim)
        : new ProtobufWriter().bytes(2, dim),
    );
  }
  const tensorType = new ProtobufWriter().varint(1, value.elementType).bytes(2, shape);
  return new ProtobufWriter()
    .bytes(1, value.name)
    .bytes(2, new ProtobufWriter().bytes(1, tensorType));
}
