import {
  ALL_FILTER_OPS,
  InvalidInputError,
  filters,
  validateFilter,
  type Filter,
  type MetadataScalar,
} from '@m3kit/core';

/** One field's condition in LangChain's Mongo-style filter objects (Chroma, Pinecone, self-query). */
export interface FieldCondition {
  readonly $eq?: MetadataScalar;
  readonly $ne?: MetadataScalar;
  readonly $gt?: number;
  readonly $gte?: number;
  readonly $lt?: number;
  readonly $lte?: number;
  readonly $in?: readonly MetadataScalar[];
  readonly $nin?: readonly MetadataScalar[];
  readonly $exists?: boolean;
}

/**
 * The filter object LangChain users write: `{ lang: 'en', year: { $gte: 2020 } }`, with `$and`,
 * `$or` and `$not` for combinations. Keys side by side must all hold.
 */
export interface LangChainFilter {
  readonly $and?: readonly LangChainFilter[];
  readonly $or?: readonly LangChainFilter[];
  readonly $not?: LangChainFilter;
  readonly [field: string]:
    | MetadataScalar
    | FieldCondition
    | readonly LangChainFilter[]
    | LangChainFilter
    | undefined;
}

/** What m3kit's LangChain classes take as a filter: LangChain's object, or core's filter tree. */
export type M3LangChainFilter = LangChainFilter | Filter;

const RANGE_KEYS = ['$gt', '$gte', '$lt', '$lte'] as const;
const FIELD_KEYS = new Set(['$eq', '$ne', '$in', '$nin', '$exists', ...RANGE_KEYS]);

/** True for core's filter tree (`filters.eq(...)` etc.): an `op` naming a core operator beside its operands. */
export function isCoreFilter(value: unknown): value is Filter {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { op?: unknown };
  return (
    typeof candidate.op === 'string' &&
    (ALL_FILTER_OPS as readonly string[]).includes(candidate.op) &&
    ('field' in candidate || 'filters' in candidate || 'filter' in candidate)
  );
}

/**
 * Translates a LangChain filter object into core's filter tree (validated), or passes a core
 * filter through. Unknown operators and ambiguous values are InvalidInputErrors naming the key.
 */
export function toCoreFilter(filter: M3LangChainFilter | undefined): Filter | undefined {
  if (filter === undefined) return undefined;
  const translated = isCoreFilter(filter) ? filter : translateObject(filter, 'filter');
  validateFilter(translated);
  return translated;
}

function translateObject(filter: LangChainFilter, path: string): Filter {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw new InvalidInputError('a filter must be an object such as { lang: "en" }', {
      item: path,
    });
  }
  const parts: Filter[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    parts.push(translateEntry(key, value, `${path}.${key}`));
  }
  if (parts.length === 0)
    throw new InvalidInputError('an empty filter object matches nothing to filter on', {
      item: path,
    });
  return parts.length === 1 ? parts[0]! : filters.and(...parts);
}

function translateEntry(key: string, value: unknown, path: string): Filter {
  if (key === '$and' || key === '$or') {
    if (!Array.isArray(value) || value.length === 0)
      throw new InvalidInputError(`${key} needs a non-empty array of filters`, { item: path });
    const children = value.map((child: LangChainFilter, i) =>
      translateObject(child, `${path}[${i}]`),
    );
    return key === '$and' ? filters.and(...children) : filters.or(...children);
  }
  if (key === '$not') return filters.not(translateObject(value as LangChainFilter, path));
  if (key.startsWith('$'))
    throw new InvalidInputError(`unknown filter operator ${key}`, { item: path });
  if (isScalar(value)) return filters.eq(key, value);
  if (Array.isArray(value)) {
    throw new InvalidInputError(
      `an array is ambiguous here; write { ${key}: { $in: [...] } } to match any of them`,
      { item: path },
    );
  }
  if (typeof value === 'object' && value !== null)
    return translateCondition(key, value as Record<string, unknown>, path);
  throw new InvalidInputError(`unsupported filter value ${JSON.stringify(value)}`, { item: path });
}

function translateCondition(
  field: string,
  condition: Record<string, unknown>,
  path: string,
): Filter {
  const parts: Filter[] = [];
  const bounds: { gt?: number; gte?: number; lt?: number; lte?: number } = {};
  for (const [operator, operand] of Object.entries(condition)) {
    if (operand === undefined) continue;
    if (!FIELD_KEYS.has(operator))
      throw new InvalidInputError(`unknown field operator ${operator}`, {
        item: `${path}.${operator}`,
      });
    const where = `${path}.${operator}`;
    if ((RANGE_KEYS as readonly string[]).includes(operator)) {
      if (typeof operand !== 'number' || !Number.isFinite(operand))
        throw new InvalidInputError(`${operator} needs a finite number`, { item: where });
      bounds[operator.slice(1) as keyof typeof bounds] = operand;
    } else if (operator === '$eq' || operator === '$ne') {
      if (!isScalar(operand))
        throw new InvalidInputError(`${operator} needs a string, number or boolean`, {
          item: where,
        });
      parts.push(operator === '$eq' ? filters.eq(field, operand) : filters.ne(field, operand));
    } else if (operator === '$in' || operator === '$nin') {
      if (!Array.isArray(operand) || !operand.every(isScalar))
        throw new InvalidInputError(`${operator} needs an array of strings, numbers or booleans`, {
          item: where,
        });
      const any = filters.in(field, operand);
      parts.push(operator === '$in' ? any : filters.not(any));
    } else {
      if (typeof operand !== 'boolean')
        throw new InvalidInputError('$exists needs true or false', { item: where });
      parts.push(operand ? filters.exists(field) : filters.not(filters.exists(field)));
    }
  }
  if (Object.keys(bounds).length > 0) parts.push(filters.range(field, bounds));
  if (parts.length === 0)
    throw new InvalidInputError('an empty condition object filters nothing', { item: path });
  return parts.length === 1 ? parts[0]! : filters.and(...parts);
}

function isScalar(value: unknown): value is MetadataScalar {
  return (
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}
