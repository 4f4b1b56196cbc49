import { decodeUtf8, readProtobufFields } from './protobuf-reader.js';

/** How far into each external data file a model's initializers reach. */
export interface ExternalDataNeed {
  /** Path relative to the model file, as written in the graph. */
  readonly location: string;
  /** The largest offset + length any initializer needs. */
  readonly bytesNeeded: number;
}

// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; TensorProto.external_data = 13,
// data_location = 14 (EXTERNAL = 1); StringStringEntryProto key = 1, value = 2.

/**
 * Lists the external data files an ONNX model refers to and how many bytes each must hold, so a
 * missing or truncated `model.onnx_data` is reported by name before onnxruntime reads it.
 */
export function externalDataNeeds(model: Uint8Array): ExternalDataNeed[] {
  const needs = new Map<string, number>();
  const addTensor = (tensor: Uint8Array): void => {
    let external = false;
    const entries = new Map<string, string>();
    for (const field of readProtobufFields(tensor)) {
      if (field.field === 14 && field.wireType === 0) external = field.value === 1n;
      if (field.field === 13 && field.wireType === 2) {
        let key = '';
        let value = '';
        for (const entryField of readProtobufFields(field.value)) {
          if (entryField.wireType !== 2) continue;
          if (entryField.field === 1) key = decodeUtf8(entryField.value);
          if (entryField.field === 2) value = decodeUtf8(entryField.value);
        }
        entries.set(key, value);
      }
    }
    const location = entries.get('location');
    if (!external || location === undefined) return;
    const end = Number(entries.get('offset') ?? 0) + Number(entries.get('length') ?? 0);
    needs.set(location, Math.max(needs.get(location) ?? 0, end));
  };
  for (const modelField of readProtobufFields(model)) {
    if (modelField.field !== 7 || modelField.wireType !== 2) continue;
    for (const graphField of readProtobufFields(modelField.value)) {
      if (graphField.wireType !== 2) continue;
      if (graphField.field === 5) addTensor(graphField.value);
      // Constant nodes may keep their value outside too (BAAI/bge-m3's onnx/Constant_7_attr__value):
      // NodeProto.attribute = 5, AttributeProto.t = 5, AttributeProto.tensors = 10.
      if (graphField.field === 1) {
        for (const nodeField of readProtobufFields(graphField.value)) {
          if (nodeField.field !== 5 || nodeField.wireType !== 2) continue;
          for (const attributeField of readProtobufFields(nodeField.value)) {
            if (
              (attributeField.field === 5 || attributeField.field === 10) &&
              attributeField.wireType === 2
            ) {
              addTensor(attributeField.value);
            }
          }
        }
      }
    }
  }
  return [...needs].map(([location, bytesNeeded]) => ({ location, bytesNeeded }));
}
