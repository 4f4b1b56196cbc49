import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
} as const satisfies OptionSpec;

export interface ParsedArgs<T> {
  readonly values: T;
  readonly positionals: string[];
}

/**
 * node:util parseArgs in strict mode, with its errors turned into usage errors that name the
 * command (so the message ends with the right `--help` hint, not a stack).
 */
export function parseCommandArgs<const O extends OptionSpec>(
  command: string,
  argv: readonly string[],
  options: O,
): ParsedArgs<
  ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']
> {
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    const message =
      error instanceof Error
        ? error.message.replace(/\. To specify a positional.*$/s, '')
        : String(error);
    throw new UsageError(message, { command, cause: error });
  }
}

/**
 * `--top-k -1` as `--top-k=-1`: parseArgs refuses a value that starts with a dash as "ambiguous",
 * so a negative number would never reach the flag's own range check and its message.
 */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const takesValue = (token: string): boolean => {
    const name = token.startsWith('--')
      ? token.slice(2)
      : Object.keys(options).find((key) => token === `-${options[key]!.short ?? ''}`);
    return name !== undefined && options[name]?.type === 'string';
  };
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      joined.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (
      /^--?[^-=]/.test(token) &&
      !token.includes('=') &&
      takesValue(token) &&
      next !== undefined &&
      /^-(?:\d|\.\d)/.test(next)
    ) {
      joined.push(token.startsWith('--') ? `${token}=${next}` : `${token}${next}`);
      i++;
    } else {
      joined.push(token);
    }
  }
  return joined;
}

/** A whole number within bounds, from a flag value; names the flag when it is not. */
export function integerFlag(
  value: string | undefined,
  flag: string,
  command: string,
  bounds: { min: number; max?: number },
): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const number = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(number) || number < bounds.min || number > max) {
    const range =
      bounds.max === undefined ? `>= ${bounds.min}` : `from ${bounds.min} to ${bounds.max}`;
    throw new UsageError(
      `--${flag} must be a whole number ${range}, got ${JSON.stringify(value)}`,
      { command },
    );
  }
  return number;
}

/** A finite number from a flag value. */
export function numberFlag(value: string, flag: string, command: string): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number))
    throw new UsageError(`--${flag} must be a number, got ${JSON.stringify(value)}`, { command });
  return number;
}

/** One of a fixed set of words. */
export function choiceFlag<const C extends string>(
  value: string | undefined,
  flag: string,
  command: string,
  choices: readonly C[],
): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      `--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
      { command },
    );
  }
  return value as C;
}
