import {
  fitsMetadataType,
  UnsupportedError,
  resolveFilter,
  type Filter,
  type MetadataFieldType,
  type MetadataScalar,
} from '@m3kit/core';
import { BACKEND } from './errors.js';
import { FIELDS } from './schema.js';

/** An Elasticsearch query clause, as data. */
export type QueryClause = Record<string, unknown>;

const MATCH_NONE: QueryClause = { match_none: {} };

/**
 * A caller's filter as a query clause: checked by core's shared validation first (the same typed
 * error on every store, for count, query and scan alike), then translated.
 */
export function filterClause(
  filter: Filter,
  fields: ReadonlyMap<string, MetadataFieldType>,
  path = 'filter',
): QueryClause {
  return translateFilter(resolveFilter(filter, path)!, fields);
}

/**
 * Translates core's filter tree into Elasticsearch query DSL over the declared metadata fields,
 * with the reference meaning of filter/evaluate-filter.ts:
 * - eq/in on keyword arrays match any element (a `term` on a multi-valued field does that);
 * - ne and not are `must_not`, so documents without the field match them;
 * - exists is Elasticsearch's `exists` (null and [] count as absent, as in the reference);
 * - type-strict: a value of the wrong type for the field's declared type matches nothing,
 *   instead of being coerced by Elasticsearch ("1" would match the number 1).
 * Values go into the request as JSON data, never spliced into strings: nothing to escape.
 * Filters on undeclared fields are refused: they are stored but not indexed (dynamic: false).
 */
export function translateFilter(
  filter: Filter,
  fields: ReadonlyMap<string, MetadataFieldType>,
): QueryClause {
  switch (filter.op) {
    case 'and':
      return { bool: { filter: filter.filters.map((child) => translateFilter(child, fields)) } };
    case 'or':
      return {
        bool: {
          should: filter.filters.map((child) => translateFilter(child, fields)),
          minimum_should_match: 1,
        },
      };
    case 'not':
      return { bool: { must_not: [translateFilter(filter.filter, fields)] } };
    case 'eq':
      return equals(filter.field, [filter.value], fields);
    case 'ne':
      return { bool: { must_not: [equals(filter.field, [filter.value], fields)] } };
    case 'in':
      return equals(filter.field, filter.values, fields);
    case 'exists':
      return { exists: { field: path(filter.field, fields) } };
    case 'range': {
      const type = declared(filter.field, fields);
      if (type !== 'integer' && type !== 'float') return MATCH_NONE; // only numbers are in a range
      const bounds: Record<string, number> = {};
      if (filter.gt !== undefined) bounds.gt = filter.gt;
      if (filter.gte !== undefined) bounds.gte = filter.gte;
      if (filter.lt !== undefined) bounds.lt = filter.lt;
      if (filter.lte !== undefined) bounds.lte = filter.lte;
      return { range: { [path(filter.field, fields)]: bounds } };
    }
  }
}

function equals(
  field: string,
  values: readonly MetadataScalar[],
  fields: ReadonlyMap<string, MetadataFieldType>,
): QueryClause {
  const type = declared(field, fields);
  const matching = [...new Set(values.filter((value) => fitsMetadataType(value, type)))];
  if (matching.length === 0) return MATCH_NONE;
  const target = path(field, fields);
  return matching.length === 1
    ? { term: { [target]: { value: matching[0] } } }
    : { terms: { [target]: matching } };
}

function declared(
  field: string,
  fields: ReadonlyMap<string, MetadataFieldType>,
): MetadataFieldType {
  const type = fields.get(field);
  if (type === undefined) {
    throw new UnsupportedError({
      backend: BACKEND,
      feature: `filtering on metadata field "${field}"`,
      message:
        "it is not declared in the collection's metadataFields (undeclared metadata is stored but not indexed)",
    });
  }
  return type;
}

function path(field: string, fields: ReadonlyMap<string, MetadataFieldType>): string {
  declared(field, fields);
  return `${FIELDS.metadata}.${field}`;
}
