import type { MetadataScalar } from '../document.js';

/**
 * A metadata filter as plain data. Adapters translate it into their backend's own filter
 * language (with escaping where the backend takes strings), never by string concatenation of
 * user values. Field names must match FIELD_NAME_PATTERN.
 */
export type Filter =
  | { readonly op: 'eq'; readonly field: string; readonly value: MetadataScalar }
  | { readonly op: 'ne'; readonly field: string; readonly value: MetadataScalar }
  | { readonly op: 'in'; readonly field: string; readonly values: readonly MetadataScalar[] }
  | {
      readonly op: 'range';
      readonly field: string;
      readonly gt?: number;
      readonly gte?: number;
      readonly lt?: number;
      readonly lte?: number;
    }
  | { readonly op: 'exists'; readonly field: string }
  | { readonly op: 'and'; readonly filters: readonly Filter[] }
  | { readonly op: 'or'; readonly filters: readonly Filter[] }
  | { readonly op: 'not'; readonly filter: Filter };

export type FilterOp = Filter['op'];

export const ALL_FILTER_OPS: readonly FilterOp[] = [
  'eq',
  'ne',
  'in',
  'range',
  'exists',
  'and',
  'or',
  'not',
];

/**
 * Metadata field names accepted everywhere: backends disagree on what else is legal (dots are
 * paths in Elasticsearch and Qdrant, Milvus expressions need identifiers), so m3kit keeps to the
 * common subset.
 */
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Small builders so filters read like the query they express. */
export const filters = {
  eq: (field: string, value: MetadataScalar): Filter => ({ op: 'eq', field, value }),
  ne: (field: string, value: MetadataScalar): Filter => ({ op: 'ne', field, value }),
  in: (field: string, values: readonly MetadataScalar[]): Filter => ({ op: 'in', field, values }),
  range: (
    field: string,
    bounds: { gt?: number; gte?: number; lt?: number; lte?: number },
  ): Filter => ({ op: 'range', field, ...bounds }),
  exists: (field: string): Filter => ({ op: 'exists', field }),
  and: (...required: Filter[]): Filter => ({ op: 'and', filters: required }),
  or: (...alternatives: Filter[]): Filter => ({ op: 'or', filters: alternatives }),
  not: (filter: Filter): Filter => ({ op: 'not', filter }),
} as const;
