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
import type { ResolvedQdrantOptions } from './options.js';

/**
 * Bytes one float is counted for when sizing batches. `floatsToJson` prints BGE-M3 values in
 * ~12.4 bytes with the comma (JavaScript's default double formatting: ~21); a value it cannot
 * shorten (|x| below ~1e-5) prints in at most 25, so a batch sized at 16 MiB by this count stays
 * under 25 MiB even in the worst case, below Qdrant's default 32 MiB limit.
 */
export const JSON_BYTES_PER_FLOAT = 16;

/** Decimal scales tried, smallest first: the first whose rounding parses back to the same float32 wins. */
const SCALES = [1e8, 1e9, 1e10, 1e11, 1e12, 1e13];

/**
 * A Float32Array as JSON numbers that parse back to exactly the same float32 values, printed
 * short (not always shortest): x rounded to the fewest of 8 to 13 decimals that still round-trips, else x itself (a
 * float32 widened to a double prints up to 17 significant digits). As fast as Array.from.
 */
export function floatsToJson(values: Float32Array): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let shortest = x;
    for (const scale of SCALES) {
      const rounded = Math.round(x * scale) / scale;
      if (Math.fround(rounded) === x) {
        shortest = rounded;
        break;
      }
    }
    out[i] = shortest;
  }
  return out;
}

/** A validated record ready to be encoded, with its size counted for batching. */
export interface PreparedPoint {
  readonly record: M3Record;
  /** ColBERT rows to send (fewer than the record's when truncated). */
  readonly colbertRows: number;
  /** Estimated JSON size of the point (see JSON_BYTES_PER_FLOAT). */
  readonly bytes: number;
}

/**
 * Checks what only Qdrant cares about (the multivector limit, the 2-row sparse trap) and counts
 * the point's size without encoding it: encoding waits until its batch is sent, so a large
 * upsert never holds every encoded point in memory. Throws InvalidInputError naming the record.
 */
export function preparePoint(
  record: M3Record,
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): PreparedPoint {
  checkDeclaredFieldTypes(record, spec);
  const { dense, lexical, colbert } = record.embedding;
  let floats = 0;
  if (spec.signals.includes('dense') && dense) floats += dense.length;
  if (spec.signals.includes('sparse') && lexical) floats += lexical.indices.length * 2;
  let colbertRows = 0;
  if (spec.signals.includes('colbert') && colbert) {
    colbertRows = colbertRowsThatFit(record.id, colbert.rows, colbert.dim, options);
    if (
      colbertRows === 2 &&
      isWholeNumberRow(colbert.data.subarray(0, colbert.dim)) &&
      isWholeNumberRow(colbert.data.subarray(colbert.dim, 2 * colbert.dim))
    ) {
      throw new InvalidInputError(TWO_WHOLE_ROWS, { item: record.id });
    }
    floats += colbertRows * colbert.dim + colbertRows; // brackets per row
  }
  const payloadBytes = Buffer.byteLength(JSON.stringify(payloadOf(record, spec, options)), 'utf8');
  return { record, colbertRows, bytes: 128 + payloadBytes + floats * JSON_BYTES_PER_FLOAT };
}

/**
 * The Qdrant point of a prepared record: id = UUID v5 of the document id, payload = { document
 * id, text (when the collection stores text), metadata }, one named vector per signal.
 */
export function encodePoint(
  prepared: PreparedPoint,
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): Schemas['PointStruct'] {
  const { record } = prepared;
  const { vectorNames: names } = options;
  const vector: Record<string, Schemas['Vector']> = {};
  const { dense, lexical, colbert } = record.embedding;
  if (spec.signals.includes('dense') && dense) vector[names.dense] = floatsToJson(dense);
  if (spec.signals.includes('sparse') && lexical) {
    vector[names.sparse] = {
      indices: Array.from(lexical.indices),
      values: floatsToJson(lexical.values),
    };
  }
  if (spec.signals.includes('colbert') && colbert)
    vector[names.colbert] = multiVectorToJson(colbert, prepared.colbertRows, record.id);
  return {
    id: pointIdFor(record.id, options.pointIdNamespace),
    vector,
    payload: payloadOf(record, spec, options),
  };
}

/** preparePoint then encodePoint, for one record. */
export function recordToPoint(
  record: M3Record,
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): { point: Schemas['PointStruct']; bytes: number } {
  const prepared = preparePoint(record, spec, options);
  return { point: encodePoint(prepared, spec, options), bytes: prepared.bytes };
}

function payloadOf(
  record: M3Record,
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): Record<string, unknown> {
  const keys = options.payloadKeys;
  const payload: Record<string, unknown> = { [keys.id]: record.id };
  if (spec.storeText && record.text !== undefined) payload[keys.text] = record.text;
  if (record.metadata !== undefined) payload[keys.metadata] = record.metadata;
  return payload;
}

/**
 * A declared (indexed) metadata field must hold its declared type: Qdrant accepts any payload,
 * but its index leaves out a value of another type, so the record would silently drop out of
 * that field's filters. Null or absent is fine (the record has no value there). The same types
 * as core's ingest check (documentProblem): `keyword` a string, `keyword[]` a string or strings.
 */
export function checkDeclaredFieldTypes(record: M3Record, spec: ResolvedCollectionSpec): void {
  for (const field of spec.metadataFields) {
    const value = record.metadata?.[field.name];
    if (value === undefined || value === null || fitsFieldType(value, field.type)) continue;
    throw new InvalidInputError(
      `metadata field "${field.name}" is declared ${field.type} but holds ${JSON.stringify(value).slice(0, 80)}`,
      { item: record.id },
    );
  }
}

function fitsFieldType(
  value: unknown,
  type: ResolvedCollectionSpec['metadataFields'][number]['type'],
): boolean {
  switch (type) {
    case 'keyword':
      return typeof value === 'string';
    case 'keyword[]':
      return (
        typeof value === 'string' ||
        (Array.isArray(value) && value.every((item) => typeof item === 'string'))
      );
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

const TWO_WHOLE_ROWS =
  'a 2-row ColBERT matrix whose rows hold only non-negative whole numbers cannot be sent to Qdrant: its JSON parses as a sparse vector';

/**
 * A ColBERT matrix as JSON rows. Qdrant reads a named vector as the first of dense, sparse,
 * multivector that parses, and serde reads a struct from a two-element array: a 2-row matrix
 * whose first row holds only non-negative whole numbers (a one-hot row, say) parses as a sparse
 * vector `{indices: row 0, values: row 1}` and is rejected or misread. MaxSim does not depend on
 * the order of rows, so such a pair is sent second row first; a pair of two such rows cannot be
 * sent at all and is an error. Real BGE-M3 rows are never whole numbers.
 */
export function multiVectorToJson(
  colbert: MultiVector,
  rows: number = colbert.rows,
  id?: string,
): number[][] {
  const matrix: number[][] = [];
  for (let r = 0; r < rows; r++)
    matrix.push(floatsToJson(colbert.data.subarray(r * colbert.dim, (r + 1) * colbert.dim)));
  if (matrix.length === 2 && isWholeNumberRow(matrix[0]!)) {
    if (isWholeNumberRow(matrix[1]!))
      throw new InvalidInputError(TWO_WHOLE_ROWS, id === undefined ? undefined : { item: id });
    matrix.reverse();
  }
  return matrix;
}

function isWholeNumberRow(row: ArrayLike<number>): boolean {
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) return false;
  }
  return true;
}

function colbertRowsThatFit(
  id: string,
  rows: number,
  dim: number,
  options: ResolvedQdrantOptions,
): number {
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

export function isMetadata(value: unknown): value is Metadata {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Named vectors as returned by Qdrant, back in m3kit's typed-array form. */
export function vectorsToEmbedding(
  vector: Schemas['Record']['vector'],
  options: ResolvedQdrantOptions,
): M3Embedding {
  if (typeof vector !== 'object' || vector === null || Array.isArray(vector)) return {};
  const named = vector as Record<string, unknown>;
  const dense = named[options.vectorNames.dense];
  const sparse = named[options.vectorNames.sparse];
  const colbert = named[options.vectorNames.colbert];
  const embedding: {
    dense?: Float32Array;
    lexical?: M3Embedding['lexical'];
    colbert?: M3Embedding['colbert'];
  } = {};
  if (Array.isArray(dense) && typeof dense[0] === 'number')
    embedding.dense = Float32Array.from(dense as number[]);
  if (isSparse(sparse)) {
    // Qdrant keeps sparse entries sorted by index; sort anyway, m3kit's form requires it.
    const order = sparse.indices
      .map((_, i) => i)
      .sort((a, b) => sparse.indices[a]! - sparse.indices[b]!);
    embedding.lexical = {
      indices: Uint32Array.from(order.map((i) => sparse.indices[i]!)),
      values: Float32Array.from(order.map((i) => sparse.values[i]!)),
    };
  }
  if (Array.isArray(colbert) && Array.isArray(colbert[0])) {
    const rows = colbert as number[][];
    const dim = rows[0]!.length;
    const data = new Float32Array(rows.length * dim);
    rows.forEach((row, r) => {
      data.set(row, r * dim);
    });
    embedding.colbert = { data, rows: rows.length, dim };
  }
  return embedding;
}

function isSparse(value: unknown): value is { indices: number[]; values: number[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { indices?: unknown }).indices) &&
    Array.isArray((value as { values?: unknown }).values)
  );
}
