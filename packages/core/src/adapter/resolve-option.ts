import { InvalidInputError } from '../errors/invalid-input-error.js';

/**
 * Option resolution for adapters: each option is read once, its default applied and its value
 * checked, with an InvalidInputError that names the option (`qdrant: option write.concurrency
 * must be ...`). `name` is the option's path as the user writes it.
 */
export interface OptionScope {
  /** Prefixes messages, e.g. `qdrant`. */
  readonly backend?: string;
}

export function resolvePositiveInteger(
  name: string,
  value: unknown,
  fallback: number,
  options: OptionScope & { readonly max?: number } = {},
): number {
  return resolveNumberInRange(name, value, fallback, { ...options, min: 1, integer: true });
}

export interface NumberRange extends OptionScope {
  readonly min?: number;
  readonly max?: number;
  /** `min` itself is not allowed (e.g. a positive float: min 0, minExclusive). */
  readonly minExclusive?: boolean;
  readonly integer?: boolean;
}

export function resolveNumberInRange(
  name: string,
  value: unknown,
  fallback: number,
  range: NumberRange,
): number {
  if (value === undefined) return fallback;
  const min = range.min ?? Number.NEGATIVE_INFINITY;
  const max = range.max ?? Number.POSITIVE_INFINITY;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    (range.minExclusive ? value > min : value >= min) &&
    value <= max;
  if (!ok)
    throw optionError(name, `must be ${describeRange(range)}, got ${describeValue(value)}`, range);
  return value;
}

export function resolveEnum<const T extends string>(
  name: string,
  value: unknown,
  fallback: T,
  allowed: readonly T[],
  scope: OptionScope = {},
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw optionError(
      name,
      `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(value)}`,
      scope,
    );
  }
  return value as T;
}

export function resolveBoolean(
  name: string,
  value: unknown,
  fallback: boolean,
  scope: OptionScope = {},
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw optionError(name, `must be true or false, got ${describeValue(value)}`, scope);
  return value;
}

/** The error every option helper throws; exported so adapters word their own checks the same way. */
export function optionError(
  name: string,
  problem: string,
  scope: OptionScope = {},
): InvalidInputError {
  const prefix = scope.backend === undefined ? '' : `${scope.backend}: `;
  return new InvalidInputError(`${prefix}option ${name} ${problem}`, { item: name });
}

function describeRange(range: NumberRange): string {
  const kind = range.integer ? 'an integer' : 'a finite number';
  const low =
    range.min === undefined || range.min === Number.NEGATIVE_INFINITY
      ? undefined
      : `${range.minExclusive ? '>' : '>='} ${range.min}`;
  const high =
    range.max === undefined || range.max === Number.POSITIVE_INFINITY
      ? undefined
      : `<= ${range.max}`;
  return `${kind}${low === undefined ? '' : ` ${low}`}${high === undefined ? '' : `${low === undefined ? ' ' : ' and '}${high}`}`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  return typeof value;
}
