import {
  InvalidInputError,
  type LexicalWeights,
  type M3Embedding,
  type M3Record,
  type Metadata,
  type MultiVector,
  type ResolvedCollectionSpec,
  type StoredRecord,
} from '@m3kit/core';
import { decodeColbertBase64, encodeColbertBase64, type ColbertEncoding } from './colbert-codec.js';
import { FIELDS } from './schema.js';

/** Smallest positive normal float32: Lucene's FeatureField refuses anything below it. */
const MIN_NORMAL_FLOAT32 = 1.1754943508222875e-38;

/** The `_source` of one document as m3kit writes it. */
export interface ElasticSource {
  id?: string;
  text?: string;
  metadata?: Metadata;
  dense?: number[];
  dense_exact?: string;
  sparse?: Record<string, number>;
  lexical_exact?: string;
  colbert?: string;
  colbert_mean?: number[];
}

/** Builds the document body for a validated record. */
export function encodeDocument(
  record: M3Record,
  spec: ResolvedCollectionSpec,
  colbertEncoding: ColbertEncoding,
  colbertMean = false,
): ElasticSource {
  const source: ElasticSource = { id: record.id };
  if (spec.storeText && record.text !== undefined) source.text = record.text;
  if (record.metadata !== undefined) source.metadata = record.metadata;
  const { dense, lexical, colbert } = record.embedding;
  if (spec.signals.includes('dense') && dense !== undefined) {
    source.dense_exact = base64(dense);
    // dot_product similarity needs unit vectors: the index holds the direction (BGE-M3's
    // vectors already are unit length; exact scores come from dense_exact either way). A zero
    // vector has no direction and stays out of the kNN index.
    const normalised = normalise(dense);
    if (normalised !== undefined) source.dense = normalised;
  }
  if (spec.signals.includes('sparse') && lexical !== undefined) {
    source.lexical_exact = encodeLexical(lexical);
    const sparse: Record<string, number> = {};
    lexical.indices.forEach((token, i) => {
      sparse[String(token)] = Math.max(lexical.values[i]!, MIN_NORMAL_FLOAT32);
    });
    source.sparse = sparse;
  }
  if (spec.signals.includes('colbert') && colbert !== undefined) {
    source.colbert = encodeColbertBase64(colbert, colbertEncoding);
    if (colbertMean) {
      const mean = meanRow(colbert);
      if (mean !== undefined) source.colbert_mean = mean;
    }
  }
  return source;
}

/** Reads a stored document back; `embedding` only when asked for. */
export function decodeDocument(
  id: string,
  source: ElasticSource,
  includeEmbedding: boolean,
): StoredRecord {
  const record: { id: string; text?: string; metadata?: Metadata; embedding?: M3Embedding } = {
    id,
  };
  if (source.text !== undefined) record.text = source.text;
  if (source.metadata !== undefined) record.metadata = source.metadata;
  if (includeEmbedding) {
    record.embedding = {
      ...(source.dense_exact !== undefined ? { dense: decodeDense(source.dense_exact) } : {}),
      ...(source.lexical_exact !== undefined
        ? { lexical: decodeLexical(source.lexical_exact) }
        : {}),
      ...(source.colbert !== undefined ? { colbert: decodeColbertBase64(source.colbert) } : {}),
    };
  }
  return record;
}

function normalise(vector: Float32Array): number[] | undefined {
  let squares = 0;
  for (let i = 0; i < vector.length; i++) squares += vector[i]! * vector[i]!;
  if (!(squares > 0)) return undefined;
  const inverse = 1 / Math.sqrt(squares);
  return Array.from(vector, (value) => value * inverse);
}

/** The normalised mean of a multi-vector's rows (undefined when it is zero). */
export function meanRow(vectors: MultiVector): number[] | undefined {
  const mean = new Float32Array(vectors.dim);
  for (let r = 0; r < vectors.rows; r++) {
    for (let c = 0; c < vectors.dim; c++) mean[c]! += vectors.data[r * vectors.dim + c]!;
  }
  return normalise(mean);
}

/** A unit-length copy as plain numbers (kNN query vectors), or undefined for a zero vector. */
export function normaliseQuery(vector: Float32Array): number[] | undefined {
  return normalise(vector);
}

function base64(array: Float32Array | Uint32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

/** Copies into fresh, aligned memory (Buffer pools are not 4-byte aligned). */
function bytesOf(text: string): ArrayBuffer {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export function decodeDense(text: string): Float32Array {
  const buffer = bytesOf(text);
  if (buffer.byteLength % 4 !== 0)
    throw new InvalidInputError('stored dense vector is not a whole number of floats');
  return new Float32Array(buffer);
}

/** Lexical weights as one blob: u32 count, then the ids (u32), then the weights (f32), little-endian. */
export function encodeLexical(lexical: LexicalWeights): string {
  const count = lexical.indices.length;
  const bytes = new Uint8Array(4 + count * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, count, true);
  for (let i = 0; i < count; i++) {
    view.setUint32(4 + i * 4, lexical.indices[i]!, true);
    view.setFloat32(4 + count * 4 + i * 4, lexical.values[i]!, true);
  }
  return Buffer.from(bytes.buffer).toString('base64');
}

export function decodeLexical(text: string): LexicalWeights {
  const bytes = Buffer.from(text, 'base64');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength >= 4 ? view.getUint32(0, true) : -1;
  if (count < 0 || bytes.byteLength !== 4 + count * 8)
    throw new InvalidInputError('stored lexical weights are malformed');
  const indices = new Uint32Array(count);
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    indices[i] = view.getUint32(4 + i * 4, true);
    values[i] = view.getFloat32(4 + count * 4 + i * 4, true);
  }
  return { indices, values };
}

export { FIELDS };
