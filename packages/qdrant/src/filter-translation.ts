import {
  validateFilter,
  type Filter,
  type MetadataFieldType,
  type MetadataScalar,
} from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';

export type QdrantFilter = Schemas['Filter'];
export type QdrantCondition = Schemas['Condition'];

export interface FilterTranslationOptions {
  /** Payload key the metadata object lives under (`metadata` by default): fields become `metadata.<field>`. */
  readonly metadataKey: string;
  /** Declared field types: numbers on a `float` field are matched by range, never by `match`. */
  readonly fieldTypes?: ReadonlyMap<string, MetadataFieldType>;
}

/**
 * Translates core's filter tree into a Qdrant filter, as data (no string building, so no escaping
 * is needed: field names are checked against FIELD_NAME_PATTERN and values travel as JSON).
 *
 * Meaning kept from core's evaluateFilter:
 * - eq/in on an array field match any element: Qdrant's `match` does that on arrays;
 * - ne = not(eq), so a missing or null field matches ne: `must_not` does exactly that;
 * - exists = present, non-null, non-empty array = not `is_empty` (Qdrant's is_empty is true for
 *   a missing key, null, and []);
 * - type-strict: Qdrant's `match` only takes strings, int64 and booleans, and compares by type.
 *   Numbers that are not safe integers (and every number on a field declared `float`) become a
 *   closed range [v, v], which matches numeric payloads only.
 */
export function translateFilter(filter: Filter, options: FilterTranslationOptions): QdrantFilter {
  validateFilter(filter);
  return translateValidatedFilter(filter, options);
}

/** translateFilter without the validation, for a filter the store has validated already (once per call). */
export function translateValidatedFilter(
  filter: Filter,
  options: FilterTranslationOptions,
): QdrantFilter {
  const condition = translateNode(filter, options);
  return isFilterObject(condition) ? condition : { must: [condition] };
}

function translateNode(filter: Filter, options: FilterTranslationOptions): QdrantCondition {
  switch (filter.op) {
    case 'and':
      return { must: filter.filters.map((child) => translateNode(child, options)) };
    case 'or':
      return { should: filter.filters.map((child) => translateNode(child, options)) };
    case 'not':
      return { must_not: [translateNode(filter.filter, options)] };
    case 'eq':
      return matchAnyOf(filter.field, [filter.value], options);
    case 'ne':
      return { must_not: [matchAnyOf(filter.field, [filter.value], options)] };
    case 'in':
      return matchAnyOf(filter.field, filter.values, options);
    case 'exists':
      return { must_not: [{ is_empty: { key: payloadKey(filter.field, options) } }] };
    case 'range': {
      const range: Schemas['Range'] = {};
      if (filter.gt !== undefined) range.gt = filter.gt;
      if (filter.gte !== undefined) range.gte = filter.gte;
      if (filter.lt !== undefined) range.lt = filter.lt;
      if (filter.lte !== undefined) range.lte = filter.lte;
      return { key: payloadKey(filter.field, options), range };
    }
  }
}

/** One condition matching a field equal to any of `values` (grouped by the type Qdrant needs). */
function matchAnyOf(
  field: string,
  values: readonly MetadataScalar[],
  options: FilterTranslationOptions,
): QdrantCondition {
  const key = payloadKey(field, options);
  const isFloatField = options.fieldTypes?.get(field) === 'float';
  const strings = new Set<string>();
  const integers = new Set<number>();
  const booleans = new Set<boolean>();
  const others = new Set<number>();
  for (const value of values) {
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'boolean') booleans.add(value);
    else if (Number.isSafeInteger(value) && !isFloatField) integers.add(value === 0 ? 0 : value);
    else others.add(value === 0 ? 0 : value);
  }
  const conditions: QdrantCondition[] = [];
  if (strings.size === 1) conditions.push({ key, match: { value: [...strings][0]! } });
  else if (strings.size > 1) conditions.push({ key, match: { any: [...strings] } });
  if (integers.size === 1) conditions.push({ key, match: { value: [...integers][0]! } });
  else if (integers.size > 1) conditions.push({ key, match: { any: [...integers] } });
  for (const value of booleans) conditions.push({ key, match: { value } });
  for (const value of others) conditions.push({ key, range: { gte: value, lte: value } });
  return conditions.length === 1 ? conditions[0]! : { should: conditions };
}

export function payloadKey(
  field: string,
  options: Pick<FilterTranslationOptions, 'metadataKey'>,
): string {
  return `${options.metadataKey}.${field}`;
}

function isFilterObject(condition: QdrantCondition): condition is QdrantFilter {
  return (
    typeof condition === 'object' &&
    condition !== null &&
    ('must' in condition || 'should' in condition || 'must_not' in condition)
  );
}
