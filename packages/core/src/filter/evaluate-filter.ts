import type { Metadata, MetadataScalar, MetadataValue } from '../document.js';
import type { Filter } from './filter.js';

/**
 * The reference meaning of a filter, used by the exact store and as the yardstick for adapters:
 * - eq/in on an array field match when any element matches; ne is exactly not(eq);
 * - a missing or null field matches neither eq nor range, so it matches ne and not(...);
 * - exists is true for a present, non-null value that is not an empty array;
 * - values compare by type and value: the string "1" does not equal the number 1.
 */
export function evaluateFilter(filter: Filter, metadata: Metadata | undefined): boolean {
  switch (filter.op) {
    case 'and':
      return filter.filters.every((child) => evaluateFilter(child, metadata));
    case 'or':
      return filter.filters.some((child) => evaluateFilter(child, metadata));
    case 'not':
      return !evaluateFilter(filter.filter, metadata);
    case 'eq':
      return matchesAny(metadata?.[filter.field], [filter.value]);
    case 'ne':
      return !matchesAny(metadata?.[filter.field], [filter.value]);
    case 'in':
      return matchesAny(metadata?.[filter.field], filter.values);
    case 'exists':
      return isPresent(metadata?.[filter.field]);
    case 'range':
      return inRange(metadata?.[filter.field], filter);
  }
}

function matchesAny(value: MetadataValue | undefined, wanted: readonly MetadataScalar[]): boolean {
  if (value === undefined || value === null) return false;
  const candidates: readonly MetadataScalar[] = Array.isArray(value)
    ? value
    : [value as MetadataScalar];
  return candidates.some((candidate) => wanted.some((w) => w === candidate));
}

function isPresent(value: MetadataValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  return !(Array.isArray(value) && value.length === 0);
}

function inRange(
  value: MetadataValue | undefined,
  bounds: Extract<Filter, { op: 'range' }>,
): boolean {
  if (typeof value !== 'number') return false;
  if (bounds.gt !== undefined && !(value > bounds.gt)) return false;
  if (bounds.gte !== undefined && !(value >= bounds.gte)) return false;
  if (bounds.lt !== undefined && !(value < bounds.lt)) return false;
  if (bounds.lte !== undefined && !(value <= bounds.lte)) return false;
  return true;
}
