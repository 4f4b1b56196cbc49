import { createHash } from 'node:crypto';
import {
  InvalidInputError,
  validateFilter,
  type Filter,
  type Metadata,
  type MetadataScalar,
} from '@m3kit/core';

/**
 * Milvus boolean expressions, built as data from core's Filter tree.
 *
 * Why filters go through a term map and not `metadata["f"] == value`:
 * - Milvus Lite 2.5.1's core rejects unary `not` ("unsupported expr proto node") and has no
 *   `exists`; mixed-type `in` lists fail an assertion. Core's filters need negation (`ne`, `not`)
 *   with "missing or null matches ne" semantics, and eq on a string array must match any element.
 * - A JSON key lookup compared with `!=` is true when the key is missing, on every Milvus version.
 *   So each document carries a JSON object `filter_terms` whose keys are hashes of
 *   (field, typed value) pairs it holds, plus (field, "exists") and (field, "number") markers.
 *   eq becomes `filter_terms["t…"] == 1`, its negation `filter_terms["t…"] != 1`, and negation is
 *   pushed down to the leaves (De Morgan), so no `not` is ever sent.
 * - Range compares the stored number (`metadata["f"] > 3`), and its negation is
 *   "not a number here, or outside the range", written with the number marker.
 * - Typed hashes keep core's type-strict meaning: the string "1" and the number 1 hash apart.
 * User strings never appear in an expression: metadata values become hex digests here, and ids
 * become hex document keys (schema.ts documentKey).
 */

/** The JSON field holding filter terms, in the main and the ColBERT collection alike. */
export const FILTER_TERMS_FIELD = 'filter_terms';
/** The JSON field holding metadata as written. */
export const METADATA_FIELD = 'metadata';

type TermKind = 'value' | 'exists' | 'number';

/** A stable key for one (field, kind, value): 128 bits of SHA-256, prefixed to make it an identifier-like string. */
export function filterTerm(field: string, kind: TermKind, value?: MetadataScalar): string {
  const material = JSON.stringify(kind === 'value' ? [field, kind, value] : [field, kind]);
  return `t${createHash('sha256').update(material, 'utf8').digest('hex').slice(0, 32)}`;
}

/** The `filter_terms` object of a document: one key per thing a filter can ask about it. */
export function filterTermsOf(metadata: Metadata | undefined): Record<string, 1> {
  const terms: Record<string, 1> = {};
  for (const [field, value] of Object.entries(metadata ?? {})) {
    if (value === null || value === undefined) continue;
    if (isStringArray(value)) {
      if (value.length === 0) continue;
      for (const element of value) terms[filterTerm(field, 'value', element)] = 1;
    } else {
      terms[filterTerm(field, 'value', value as MetadataScalar)] = 1;
      if (typeof value === 'number') terms[filterTerm(field, 'number')] = 1;
    }
    terms[filterTerm(field, 'exists')] = 1;
  }
  return terms;
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value);
}

/** Only the numeric metadata: what a range filter reads. The ColBERT rows carry this, not every string. */
export function numericMetadataOf(metadata: Metadata | undefined): Record<string, number> {
  const numbers: Record<string, number> = {};
  for (const [field, value] of Object.entries(metadata ?? {})) {
    if (typeof value === 'number') numbers[field] = value;
  }
  return numbers;
}

/**
 * A Milvus string literal. Only printable ASCII is accepted: Milvus Lite's parser decodes no
 * escape but `\\` and `\"` (a `\n` or `\u00e9` stays as typed, a raw newline is a syntax error),
 * while Milvus proper unquotes Go-style, so nothing else is written the same way for both. m3kit
 * never needs more: expressions hold field names, hex keys and numbers, never user strings.
 * Throws InvalidInputError for anything else rather than send a literal that means something else.
 */
export function quoteString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new InvalidInputError(
      `cannot write ${JSON.stringify(value.slice(0, 40))} as a Milvus string literal (printable ASCII only)`,
    );
  }
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/** A Milvus number literal: integers while exact in int64, otherwise a float with exponent. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot put ${value} in a Milvus expression`);
  if (Number.isSafeInteger(value)) return String(value === 0 ? 0 : value);
  const text = String(value);
  // String() writes large integers without a decimal point ("1e+21" is fine, "9223372036854776000" is not).
  return /[.e]/.test(text) ? text : value.toExponential();
}

/** `field in ["a", "b"]` with every value quoted; callers keep lists to a few thousand items. */
export function inList(field: string, values: readonly string[]): string {
  return `${field} in [${values.map(quoteString).join(', ')}]`;
}

/** Validates the filter, then writes it as a Milvus boolean expression (never using `not`). */
export function filterToExpression(filter: Filter): string {
  validateFilter(filter);
  return write(filter, false);
}

function write(filter: Filter, negated: boolean): string {
  switch (filter.op) {
    case 'and':
    case 'or': {
      // De Morgan: not(a and b) = not a or not b, and the other way round.
      const joiner = (filter.op === 'and') !== negated ? ' and ' : ' or ';
      const parts = filter.filters.map((child) => write(child, negated));
      return parts.length === 1 ? parts[0]! : `(${parts.join(joiner)})`;
    }
    case 'not':
      return write(filter.filter, !negated);
    case 'eq':
      return term(filterTerm(filter.field, 'value', filter.value), negated);
    case 'ne':
      return term(filterTerm(filter.field, 'value', filter.value), !negated);
    case 'in': {
      const unique = [
        ...new Set(filter.values.map((value) => filterTerm(filter.field, 'value', value))),
      ];
      const parts = unique.map((key) => term(key, negated));
      return parts.length === 1 ? parts[0]! : `(${parts.join(negated ? ' and ' : ' or ')})`;
    }
    case 'exists':
      return term(filterTerm(filter.field, 'exists'), negated);
    case 'range':
      return range(filter, negated);
  }
}

function term(key: string, negated: boolean): string {
  return `${FILTER_TERMS_FIELD}[${quoteString(key)}] ${negated ? '!=' : '=='} 1`;
}

function range(filter: Extract<Filter, { op: 'range' }>, negated: boolean): string {
  const value = `${METADATA_FIELD}[${quoteString(filter.field)}]`;
  const bounds: Array<[string, string, number]> = [];
  if (filter.gt !== undefined) bounds.push(['>', '<=', filter.gt]);
  if (filter.gte !== undefined) bounds.push(['>=', '<', filter.gte]);
  if (filter.lt !== undefined) bounds.push(['<', '>=', filter.lt]);
  if (filter.lte !== undefined) bounds.push(['<=', '>', filter.lte]);
  const isNumber = term(filterTerm(filter.field, 'number'), false);
  if (!negated) {
    // Milvus already skips strings, booleans and missing keys in a numeric comparison; the marker
    // makes the meaning independent of that.
    return `(${[isNumber, ...bounds.map(([op, , bound]) => `${value} ${op} ${formatNumber(bound)}`)].join(' and ')})`;
  }
  const notNumber = term(filterTerm(filter.field, 'number'), true);
  return `(${[notNumber, ...bounds.map(([, op, bound]) => `${value} ${op} ${formatNumber(bound)}`)].join(' or ')})`;
}

/** Both parts joined with `and`, either may be empty. */
export function andExpressions(...parts: ReadonlyArray<string | undefined>): string {
  const present = parts.filter((p): p is string => p !== undefined && p.length > 0);
  if (present.length === 0) return '';
  return present.length === 1 ? present[0]! : present.map((p) => `(${p})`).join(' and ');
}
