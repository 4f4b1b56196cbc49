import type { MetadataFilter, MetadataFilters } from '@llamaindex/core/vector-store';
import {
  InvalidInputError,
  UnsupportedError,
  filters,
  validateFilter,
  type Filter,
  type MetadataScalar,
} from '@m3kit/core';

/**
 * LlamaIndex `MetadataFilters` as core's filter tree. `any` and `contains` match tag arrays the
 * way core's `in` and `eq` do; `text_match` has no equivalent on every backend and is refused.
 */
export function toCoreFilter(metadataFilters: MetadataFilters | undefined): Filter | undefined {
  if (metadataFilters === undefined || metadataFilters.filters.length === 0) return undefined;
  const parts = metadataFilters.filters.map((f, i) => translate(f, `filters[${i}]`));
  const condition = metadataFilters.condition ?? 'and';
  if (condition !== 'and' && condition !== 'or')
    throw new InvalidInputError(`unknown filter condition ${String(condition)}`, {
      item: 'condition',
    });
  const filter =
    parts.length === 1
      ? parts[0]!
      : condition === 'and'
        ? filters.and(...parts)
        : filters.or(...parts);
  validateFilter(filter);
  return filter;
}

function translate(filter: MetadataFilter, path: string): Filter {
  const { key, value, operator } = filter;
  const where = `${path} (${key} ${operator})`;
  switch (operator) {
    case '==':
      return filters.eq(key, scalar(value, where));
    case '!=':
      return filters.ne(key, scalar(value, where));
    case '>':
      return filters.range(key, { gt: number(value, where) });
    case '>=':
      return filters.range(key, { gte: number(value, where) });
    case '<':
      return filters.range(key, { lt: number(value, where) });
    case '<=':
      return filters.range(key, { lte: number(value, where) });
    case 'in':
    case 'any':
      return filters.in(key, list(value, where));
    case 'nin':
      return filters.not(filters.in(key, list(value, where)));
    case 'all':
      return filters.and(...list(value, where).map((v) => filters.eq(key, v)));
    case 'contains':
      return filters.eq(key, scalar(value, where));
    case 'is_empty':
      return filters.not(filters.exists(key));
    case 'text_match':
      throw new UnsupportedError({
        backend: 'm3kit',
        feature: 'text_match filters',
        message: `${where}: use == or in on a keyword field`,
      });
    default:
      throw new InvalidInputError(`unknown filter operator ${String(operator)}`, { item: where });
  }
}

function scalar(value: unknown, where: string): MetadataScalar {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    return value;
  throw new InvalidInputError('needs a string or a finite number', { item: where });
}

function number(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new InvalidInputError('needs a finite number', { item: where });
}

function list(value: unknown, where: string): MetadataScalar[] {
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    return value as MetadataScalar[];
  }
  throw new InvalidInputError('needs a non-empty array of strings or numbers', { item: where });
}
