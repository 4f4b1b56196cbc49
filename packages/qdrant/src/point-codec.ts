import {
  InvalidInputError,
  type M3Embedding,
  type M3Record,
  type Metadata,
  type MultiVector,
  type ResolvedCollectionSpec,
  type StoredRecord,
} from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { pointIdFor } from './point-id.js';
import type { ResolvedQdrantOptions } from './qdrant-store-options.js';

/**
 * Bytes one float takes at most in the JSON we send: 9 significant digits (enough to round-trip
 * any float32), sign, point, exponent and comma ("-1.23456789e-10,"). Measured mean for BGE-M3
 * values: ~13.6, against ~21 for JavaScript's default double formatting.
 */
export const MAX_JSON_BYTES_PER_FLOAT = 16;

/**
 * A Float32Array as JSON numbers that parse back to exactly the same float32 values but print
 * with at most 9 significant digits (a float32 widened to a double prints up to 17).
 */
export function floatsToJson(values: Float32Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!.toPrecision(9));
  return out;
}

export interface EncodedPoint {
  readonly id: string;
  readonly point: Schemas['PointStruct'];
  /** Upper bound of the point's JSON size, for batching by request bytes. */
  readonly bytes: number;
}

/**
 * Builds the Qdrant point for a validated record: id = UUID v5 of the document id, payload =
 * { document id, text (when the collection stores text), metadata }, one named vector per signal.
 * A ColBERT matrix over the server's multivector limit is truncated or rejected per options.
 */
export function recordToPoint(record: M3Record, spec: ResolvedCollectionSpec, options: ResolvedQdrantOptions): EncodedPoint {
  const { vectorNames: names, payloadKeys: keys } = options;
  const payload: Record<string, unknown> = { [keys.id]: record.id };
  if (spec.storeText && record.text !== undefined) payload[keys.text] = record.text;
  if (record.metadata !== undefined) payload[keys.metadata] = record.metadata;
  let floats = 0;
  const vector: Record<string, Schemas['Vector']> = {};
  const { dense, lexical, colbert } = record.embedding;
  if (spec.signals.includes('dense') && dense) {
    vector[names.dense] = floatsToJson(dense);
    floats += dense.length;
  }
  if (spec.signals.includes('sparse') && lexical) {
    vector[names.sparse] = { indices: Array.from(lexical.indices), values: floatsToJson(lexical.values) };
    floats += lexical.indices.length * 2;
  }
  if (spec.signals.includes('colbert') && colbert) {
    const rows = colbertRowsThatFit(record.id, colbert.rows, colbert.dim, options);
    vector[names.colbert] = multiVectorToJson(colbert, rows, record.id);
    floats += rows * colbert.dim + rows; // brackets per row
  }
  const payloadBytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
  const point: Schemas['PointStruct'] = { id: pointIdFor(record.id, options.pointIdNamespace), vector, payload };
  return { id: record.id, point, bytes: 128 + payloadBytes + floats * MAX_JSON_BYTES_PER_FLOAT };
}

/**
 * A ColBERT matrix as JSON rows. Qdrant reads a named vector as the first of dense, sparse,
 * multivector that parses, and serde reads a struct from a two-element array: a 2-row matrix
 * whose first row holds only non-negative whole numbers (a one-hot row, say) parses as a sparse
 * vector `{indices: row 0, values: row 1}` and is rejected or misread. MaxSim does not depend on
 * the order of rows, so such a pair is sent second row first; a pair of two such rows cannot be
 * sent at all and is an error. Real BGE-M3 rows are never whole numbers.
 */
export function multiVectorToJson(colbert: MultiVector, rows: number = colbert.rows, id?: string): number[][] {
  const matrix: number[][] = [];
  for (let r = 0; r < rows; r++) matrix.push(floatsToJson(colbert.data.subarray(r * colbert.dim, (r + 1) * colbert.dim)));
  if (matrix.length === 2 && isWholeNumberRow(matrix[0]!)) {
    if (isWholeNumberRow(matrix[1]!)) {
      throw new InvalidInputError(
        'a 2-row ColBERT matrix whose rows hold only non-negative whole numbers cannot be sent to Qdrant: its JSON parses as a sparse vector',
        id === undefined ? undefined : { item: id },
      );
    }
    matrix.reverse();
  }
  return matrix;
}

function isWholeNumberRow(row: readonly number[]): boolean {
  return row.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
}

function colbertRowsThatFit(id: string, rows: number, dim: number, options: ResolvedQdrantOptions): number {
  const maxRows = Math.floor(options.colbert.maxFloats / dim);
  if (rows <= maxRows) return rows;
  if (options.colbert.overflow === 'truncate') return maxRows;
  throw new InvalidInputError(
    `ColBERT matrix has ${rows} rows x ${dim} = ${rows * dim} floats; Qdrant stores at most ${options.colbert.maxFloats} ` +
      `floats per multivector (${maxRows} rows of ${dim}). Split the document into shorter chunks, or set ` +
      `colbert.overflow: 'truncate' to keep the first ${maxRows} rows`,
    { item: id },
  );
}

/** A Qdrant record back as an m3kit StoredRecord (document id, text and metadata from the payload). */
export function pointToStoredRecord(
  point: Pick<Schemas['Record'], 'id' | 'payload' | 'vector'>,
  options: ResolvedQdrantOptions,
  includeEmbedding: boolean,
): StoredRecord | undefined {
  const payload = point.payload ?? {};
  const id = payload[options.payloadKeys.id];
  if (typeof id !== 'string') return undefined;
  const text = payload[options.payloadKeys.text];
  const metadata = payload[options.payloadKeys.metadata];
  return {
    id,
    ...(typeof text === 'string' ? { text } : {}),
    ...(isMetadata(metadata) ? { metadata } : {}),
    ...(includeEmbedding ? { embedding: vectorsToEmbedding(point.vector, options) } : {}),
  };
}

function isMetadata(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Named vectors as returned by Qdrant, back in m3kit's typed-array form. */
export function vectorsToEmbedding(vector: Schemas['Record']['vector'], options: ResolvedQdrantOptions): M3Embedding {
  if (typeof vector !== 'object' || vector === null || Array.isArray(vector)) return {};
  const named = vector as Record<string, unknown>;
  const dense = named[options.vectorNames.dense];
  const sparse = named[options.vectorNames.sparse];
  const colbert = named[options.vectorNames.colbert];
  const embedding: { dense?: Float32Array; lexical?: M3Embedding['lexical']; colbert?: M3Embedding['colbert'] } = {};
  if (Array.isArray(dense) && typeof dense[0] === 'number') embedding.dense = Float32Array.from(dense as number[]);
  if (isSparse(sparse)) {
    // Qdrant keeps sparse entries sorted by index; sort anyway, m3kit's form requires it.
    const order = sparse.indices.map((_, i) => i).sort((a, b) => sparse.indices[a]! - sparse.indices[b]!);
    embedding.lexical = {
      indices: Uint32Array.from(order.map((i) => sparse.indices[i]!)),
      values: Float32Array.from(order.map((i) => sparse.values[i]!)),
    };
  }
  if (Array.isArray(colbert) && Array.isArray(colbert[0])) {
    const rows = colbert as number[][];
    const dim = rows[0]!.length;
    const data = new Float32Array(rows.length * dim);
    rows.forEach((row, r) => data.set(row, r * dim));
    embedding.colbert = { data, rows: rows.length, dim };
  }
  return embedding;
}

function isSparse(value: unknown): value is { indices: number[]; values: number[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { indices?: unknown }).indices) &&
    Array.isArray((value as { values?: unknown }).values);
}
