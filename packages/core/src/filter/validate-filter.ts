import { InvalidInputError } from '../errors/invalid-input-error.js';
import { FIELD_NAME_PATTERN, type Filter } from './filter.js';

const MAX_DEPTH = 32;

/** Throws InvalidInputError naming the first malformed node; adapters call it before translating. */
export function validateFilter(filter: Filter, path = 'filter', depth = 0): void {
  if (depth > MAX_DEPTH)
    throw new InvalidInputError(`${path} nests deeper than ${MAX_DEPTH} levels`);
  if (typeof filter !== 'object' || filter === null) {
    throw new InvalidInputError(`${path} is not a filter object`);
  }
  switch (filter.op) {
    case 'and':
    case 'or':
      if (!Array.isArray(filter.filters) || filter.filters.length === 0) {
        throw new InvalidInputError(`${path}: "${filter.op}" needs a non-empty filters array`);
      }
      // Indexed, not forEach: a hole in a sparse array must be reported, not skipped.
      for (let i = 0; i < filter.filters.length; i++)
        validateFilter(filter.filters[i]!, `${path}.${filter.op}[${i}]`, depth + 1);
      return;
    case 'not':
      validateFilter(filter.filter, `${path}.not`, depth + 1);
      return;
    case 'eq':
    case 'ne':
      checkField(filter.field, path);
      checkScalar(filter.value, `${path}.value`);
      return;
    case 'in':
      checkField(filter.field, path);
      if (!Array.isArray(filter.values) || filter.values.length === 0) {
        throw new InvalidInputError(`${path}: "in" needs a non-empty values array`);
      }
      for (let i = 0; i < filter.values.length; i++)
        checkScalar(filter.values[i], `${path}.values[${i}]`);
      return;
    case 'range':
      checkField(filter.field, path);
      checkRange(filter, path);
      return;
    case 'exists':
      checkField(filter.field, path);
      return;
    default:
      throw new InvalidInputError(
        `${path}: unknown filter op ${describe((filter as { op: unknown }).op)}`,
      );
  }
}

function checkField(field: unknown, path: string): void {
  if (typeof field !== 'string' || !FIELD_NAME_PATTERN.test(field)) {
    throw new InvalidInputError(
      `${path}: field name ${describe(field)} must match ${FIELD_NAME_PATTERN.source}`,
    );
  }
}

function checkScalar(value: unknown, path: string): void {
  const ok =
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value));
  if (!ok) throw new InvalidInputError(`${path} must be a string, a boolean or a finite number`);
}

function checkRange(filter: Extract<Filter, { op: 'range' }>, path: string): void {
  const bounds = [filter.gt, filter.gte, filter.lt, filter.lte].filter((b) => b !== undefined);
  if (bounds.length === 0) throw new InvalidInputError(`${path}: "range" needs at least one bound`);
  for (const bound of bounds) {
    if (typeof bound !== 'number' || !Number.isFinite(bound)) {
      throw new InvalidInputError(`${path}: range bounds must be finite numbers`);
    }
  }
  if (filter.gt !== undefined && filter.gte !== undefined) {
    throw new InvalidInputError(`${path}: give gt or gte, not both`);
  }
  if (filter.lt !== undefined && filter.lte !== undefined) {
    throw new InvalidInputError(`${path}: give lt or lte, not both`);
  }
}

/**
 * A bad value as text for a message. Never throws: JSON.stringify fails on a BigInt and String()
 * on a null-prototype object, and a validator that crashes while describing bad input is no
 * validator (found by the fuzz suite).
 */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value !== 'object' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
