import type { M3Embedding, LexicalWeights, MultiVector } from '../embedding/types.js';
import { isUnitLength, l2Norm } from '../embedding/unit-length.js';
import { DimensionMismatchError } from '../errors/dimension-mismatch-error.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { ResolvedCollectionSpec } from '../store/collection-spec.js';

/**
 * Checks a query embedding before any store scores it: typed arrays, no NaN or infinite value
 * anywhere, lexical ids sorted and unique with positive weights, ColBERT data filling rows x dim.
 * With the collection spec it also checks dimensions and that the dense vector and every ColBERT
 * row are unit length (BGE-M3's outputs are L2-normalised; an unnormalised query scores on
 * another scale, so fused rankings would be silently wrong). Errors name the field
 * (`query.embedding.dense[3]`).
 */
export function validateQueryEmbedding(
  embedding: M3Embedding,
  spec?: ResolvedCollectionSpec,
): void {
  if (typeof embedding !== 'object' || embedding === null) {
    throw new InvalidInputError(
      'query.embedding must be an object with dense, lexical and/or colbert',
    );
  }
  const { dense, lexical, colbert } = embedding;
  if (dense !== undefined) checkDense(dense, spec);
  if (lexical !== undefined) checkLexical(lexical);
  if (colbert !== undefined) checkColbert(colbert, spec);
}

function checkDense(dense: Float32Array, spec: ResolvedCollectionSpec | undefined): void {
  const field = 'query.embedding.dense';
  if (!(dense instanceof Float32Array))
    throw new InvalidInputError(`${field} must be a Float32Array`);
  checkFinite(dense, field);
  if (spec === undefined) return;
  if (dense.length !== spec.denseDimension) {
    throw new DimensionMismatchError({
      what: field,
      expected: spec.denseDimension,
      actual: dense.length,
    });
  }
  const norm = l2Norm(dense);
  if (!isUnitLength(norm)) {
    throw new InvalidInputError(
      `${field} has L2 norm ${norm.toPrecision(4)}; BGE-M3 dense vectors are unit length (normalise it)`,
    );
  }
}

function checkLexical(lexical: LexicalWeights): void {
  const field = 'query.embedding.lexical';
  const { indices, values } = lexical;
  if (!(indices instanceof Uint32Array) || !(values instanceof Float32Array)) {
    throw new InvalidInputError(
      `${field} must hold a Uint32Array of token ids and a Float32Array of weights`,
    );
  }
  if (indices.length !== values.length) {
    throw new InvalidInputError(
      `${field} has ${indices.length} token ids but ${values.length} weights`,
    );
  }
  for (let i = 0; i < indices.length; i++) {
    if (i > 0 && indices[i]! <= indices[i - 1]!) {
      throw new InvalidInputError(`${field}.indices must be sorted and unique (position ${i})`);
    }
    const weight = values[i]!;
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new InvalidInputError(
        `${field}.values[${i}] is ${weight}; weights must be finite and > 0`,
      );
    }
  }
}

function checkColbert(colbert: MultiVector, spec: ResolvedCollectionSpec | undefined): void {
  const field = 'query.embedding.colbert';
  if (typeof colbert !== 'object' || colbert === null || !(colbert.data instanceof Float32Array)) {
    throw new InvalidInputError(`${field}.data must be a Float32Array`);
  }
  const { rows, dim, data } = colbert;
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new InvalidInputError(
      `${field} needs rows >= 1 and dim >= 1, got rows ${String(rows)}, dim ${String(dim)}`,
    );
  }
  if (data.length !== rows * dim) {
    throw new InvalidInputError(
      `${field}.data has ${data.length} floats, expected rows x dim = ${rows * dim}`,
    );
  }
  checkFinite(data, `${field}.data`);
  if (spec === undefined) return;
  if (dim !== spec.denseDimension) {
    throw new DimensionMismatchError({
      what: `${field} rows`,
      expected: spec.denseDimension,
      actual: dim,
    });
  }
  for (let row = 0; row < rows; row++) {
    const norm = l2Norm(data, row * dim, dim);
    if (!isUnitLength(norm)) {
      throw new InvalidInputError(
        `${field} row ${row} has L2 norm ${norm.toPrecision(4)}; BGE-M3 ColBERT rows are unit length`,
      );
    }
  }
}

function checkFinite(values: Float32Array, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]))
      throw new InvalidInputError(`${field}[${i}] is ${values[i]}; every value must be finite`);
  }
}
