import type { M3Record, Metadata } from '../document.js';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type {
  MetadataFieldSpec,
  MetadataFieldType,
  ResolvedCollectionSpec,
} from '../store/collection-spec.js';
import { FIELD_NAME_PATTERN } from '../filter/filter.js';
import type { LexicalWeights, MultiVector } from './types.js';
import { isUnitLength, l2Norm } from './unit-length.js';

/** Upper bounds that keep one record from exhausting a backend (and match the strictest one). */
export const RECORD_LIMITS = {
  idBytes: 512,
  textBytes: 1_000_000,
  lexicalEntries: 50_000,
  colbertRows: 8_192,
  metadataFields: 256,
  /**
   * The metadata object as JSON, in UTF-8 bytes: Milvus keeps it in one JSON field, whose values
   * must stay under 65,536 bytes; the tightest of the three backends.
   */
  metadataBytes: 65_536,
} as const;

const encoder = new TextEncoder();

/**
 * Checks a record against a collection before any backend sees it. Throws InvalidInputError (or
 * DimensionMismatchError) naming the record id and the problem: wrong dimensions, NaN or infinite
 * values, a dense vector that is not unit length, unsorted or duplicate token ids, lone
 * surrogates in text, missing signals, metadata values of another type than the collection
 * declares for the field, too many or too large metadata.
 */
export function validateRecord(record: M3Record, spec: ResolvedCollectionSpec): void {
  const id = validateId(record?.id);
  if (typeof record.embedding !== 'object' || record.embedding === null) {
    throw new InvalidInputError('record has no embedding', { item: id });
  }
  if (record.text !== undefined) validateText(record.text, id);
  if (record.metadata !== undefined) {
    validateMetadata(record.metadata, id);
    checkMetadataTypes(record.metadata, spec.metadataFields, id);
  }
  const { dense, lexical, colbert } = record.embedding;
  for (const signal of spec.signals) {
    const present = signal === 'dense' ? dense : signal === 'sparse' ? lexical : colbert;
    if (present === undefined) {
      throw new InvalidInputError(`embedding lacks the ${signal} output the collection stores`, {
        item: id,
      });
    }
  }
  if (dense !== undefined) validateDense(dense, spec.denseDimension, id);
  if (lexical !== undefined) validateLexical(lexical, id);
  if (colbert !== undefined) validateMultiVector(colbert, spec.denseDimension, id);
}

export function validateId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidInputError(`record id must be a non-empty string, got ${describeId(id)}`);
  }
  if (!id.isWellFormed())
    throw new InvalidInputError('record id contains a lone surrogate', { item: id });
  if (encoder.encode(id).length > RECORD_LIMITS.idBytes) {
    throw new InvalidInputError(`record id is longer than ${RECORD_LIMITS.idBytes} bytes`, {
      item: id.slice(0, 64),
    });
  }
  return id;
}

function validateText(text: unknown, id: string): void {
  if (typeof text !== 'string') throw new InvalidInputError('text must be a string', { item: id });
  if (!text.isWellFormed())
    throw new InvalidInputError('text contains a lone surrogate (broken UTF-16)', { item: id });
  if (
    text.length > RECORD_LIMITS.textBytes ||
    encoder.encode(text).length > RECORD_LIMITS.textBytes
  ) {
    throw new InvalidInputError(`text is longer than ${RECORD_LIMITS.textBytes} bytes`, {
      item: id,
    });
  }
}

function validateMetadata(metadata: unknown, id: string): void {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidInputError('metadata must be an object', { item: id });
  }
  const entries = Object.entries(metadata);
  if (entries.length > RECORD_LIMITS.metadataFields) {
    throw new InvalidInputError(`metadata has more than ${RECORD_LIMITS.metadataFields} fields`, {
      item: id,
    });
  }
  // Each value first, then the size: JSON.stringify throws a RangeError on deeply nested values
  // and a TypeError on circular ones or BigInts, which are bad values to name, not crashes.
  for (const [field, value] of entries) {
    if (!FIELD_NAME_PATTERN.test(field)) {
      throw new InvalidInputError(
        `metadata field name ${JSON.stringify(field)} must match ${FIELD_NAME_PATTERN.source}`,
        { item: id },
      );
    }
    if (!isMetadataValue(value)) {
      throw new InvalidInputError(
        `metadata field "${field}" must be a string, finite number, boolean, null or array of strings`,
        { item: id },
      );
    }
  }
  const bytes = encoder.encode(JSON.stringify(metadata)).length;
  if (bytes > RECORD_LIMITS.metadataBytes) {
    throw new InvalidInputError(
      `metadata is ${bytes} bytes as JSON, more than ${RECORD_LIMITS.metadataBytes}`,
      { item: id },
    );
  }
}

/** A bad id as text; never throws (JSON.stringify does on a BigInt). */
function describeId(id: unknown): string {
  if (typeof id === 'bigint') return `${id}n`;
  if (typeof id === 'string' || typeof id === 'number' || typeof id === 'boolean' || id == null)
    return JSON.stringify(id) ?? String(id);
  return typeof id;
}

function isMetadataValue(value: unknown): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'string') return value.isWellFormed();
  if (typeof value === 'number') return Number.isFinite(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.isWellFormed());
}

export function validateDense(dense: Float32Array, dimension: number, id: string): void {
  if (!(dense instanceof Float32Array))
    throw new InvalidInputError('dense must be a Float32Array', { item: id });
  if (dense.length !== dimension) {
    throw new DimensionMismatchError({
      what: 'dense vector',
      expected: dimension,
      actual: dense.length,
      id,
    });
  }
  const bad = findNonFinite(dense);
  if (bad >= 0) throw new InvalidInputError(`dense[${bad}] is ${dense[bad]}`, { item: id });
  const norm = l2Norm(dense);
  if (!isUnitLength(norm)) {
    throw new InvalidInputError(
      `dense vector has L2 norm ${norm.toPrecision(4)}; BGE-M3 dense vectors are unit length (normalise it)`,
      { item: id },
    );
  }
}

/**
 * Metadata values against the types the collection declares (`metadataFields`): a field declared
 * `integer` given a string is type drift that backends answer differently (Elasticsearch rejects
 * the document, Qdrant stores it unindexed, Milvus filters it as JSON), so every store rejects it
 * here. Undeclared fields and null values pass.
 */
export function checkMetadataTypes(
  metadata: Metadata,
  fields: readonly MetadataFieldSpec[],
  id: string,
): void {
  for (const { name, type } of fields) {
    const value = metadata[name];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && type !== 'keyword[]' && type !== 'keyword') {
      throw new InvalidInputError(`metadata field "${name}" is declared ${type}, got a list`, {
        item: id,
      });
    }
    for (const element of Array.isArray(value) ? value : [value]) {
      if (!fitsMetadataType(element, type)) {
        throw new InvalidInputError(
          `metadata field "${name}" is declared ${type}, got ${describeMetadataValue(element)}`,
          { item: id },
        );
      }
    }
  }
}

/** A metadata value as text for a message (long strings cut at 40 characters). */
export function describeMetadataValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Whether one scalar (a list's element, for `keyword[]`) can be stored in, or equal a stored value
 * of, the declared type: no coercion. Every store, the filter translations and ingest's document
 * checks ask this one function.
 */
export function fitsMetadataType(value: unknown, type: MetadataFieldType): boolean {
  switch (type) {
    case 'keyword':
    case 'keyword[]':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

export function validateLexical(lexical: LexicalWeights, id: string): void {
  if (typeof lexical !== 'object' || lexical === null) {
    throw new InvalidInputError('lexical weights must be an object { indices, values }', {
      item: id,
    });
  }
  const { indices, values } = lexical;
  if (!(indices instanceof Uint32Array) || !(values instanceof Float32Array)) {
    throw new InvalidInputError(
      'lexical weights must be a Uint32Array of ids and a Float32Array of weights',
      { item: id },
    );
  }
  if (indices.length !== values.length) {
    throw new InvalidInputError(
      `lexical weights have ${indices.length} ids but ${values.length} weights`,
      { item: id },
    );
  }
  if (indices.length > RECORD_LIMITS.lexicalEntries) {
    throw new InvalidInputError(
      `lexical weights have more than ${RECORD_LIMITS.lexicalEntries} entries`,
      { item: id },
    );
  }
  for (let i = 0; i < indices.length; i++) {
    if (i > 0 && (indices[i] ?? 0) <= (indices[i - 1] ?? 0)) {
      throw new InvalidInputError(`lexical token ids must be sorted and unique (position ${i})`, {
        item: id,
      });
    }
    const weight = values[i] ?? Number.NaN;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new InvalidInputError(
        `lexical weight of token ${indices[i]} is ${weight}; weights must be finite and > 0`,
        { item: id },
      );
    }
  }
}

export function validateMultiVector(colbert: MultiVector, dimension: number, id: string): void {
  if (typeof colbert !== 'object' || colbert === null)
    throw new InvalidInputError('colbert must be an object { data, rows, dim }', { item: id });
  if (!(colbert.data instanceof Float32Array))
    throw new InvalidInputError('colbert data must be a Float32Array', { item: id });
  if (colbert.dim !== dimension) {
    throw new DimensionMismatchError({
      what: 'ColBERT vectors',
      expected: dimension,
      actual: colbert.dim,
      id,
    });
  }
  if (
    !Number.isInteger(colbert.rows) ||
    colbert.rows < 1 ||
    colbert.rows > RECORD_LIMITS.colbertRows
  ) {
    throw new InvalidInputError(
      `ColBERT must have 1 to ${RECORD_LIMITS.colbertRows} rows, got ${colbert.rows}`,
      { item: id },
    );
  }
  if (colbert.data.length !== colbert.rows * colbert.dim) {
    throw new InvalidInputError(
      `ColBERT data has ${colbert.data.length} floats, expected rows x dim = ${colbert.rows * colbert.dim}`,
      { item: id },
    );
  }
  const bad = findNonFinite(colbert.data);
  if (bad >= 0)
    throw new InvalidInputError(`ColBERT value at ${bad} is ${colbert.data[bad]}`, { item: id });
}

function findNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return i;
  }
  return -1;
}
