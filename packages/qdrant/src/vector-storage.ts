import { optionError } from '@m3kit/core/adapter';
import type { Schemas } from '@qdrant/js-client-rest';

/**
 * How Qdrant holds and scores stored vectors, read from its source (v1.19.0):
 * - `datatype` is the primary storage. `float16` rows are scored in f16 against a query converted
 *   to f16 (2 bytes a value). `turbo4` (>= 1.19) keeps only TurboQuant 4-bit codes of randomly
 *   rotated rows, no originals (~0.5 byte a value); MaxSim scores the float query against them
 *   asymmetrically. `uint8` casts each float to a byte (`x as u8`): BGE-M3's values in [-1, 1]
 *   would all become 0 or 1, so m3kit refuses it.
 * - `quantization` adds a compact copy beside float originals (which may live on disk).
 *   Multivector MaxSim over the copy is the sum over query rows of the best quantised pair score;
 *   `exact: true` or `quantization.ignore` scores the originals instead.
 * Every MaxSim is Qdrant's undivided sum over query rows.
 */
export type VectorDatatype = 'float32' | 'float16' | 'turbo4';

/** int8 scalar quantisation (one byte a value): Qdrant's `scalar`. */
export interface ScalarQuantizationOptions {
  readonly kind?: 'scalar';
  /** Quantile of values used to set the int8 range, 0.5 to 1 (Qdrant default: the whole range). */
  readonly quantile?: number;
  /** Keep the quantised vectors in RAM when the originals are on disk. */
  readonly alwaysRam?: boolean;
}

/** Binary quantisation: 1 bit a value (1.5 or 2 with `encoding`), the query as bits or scalars. */
export interface BinaryQuantizationOptions {
  readonly kind: 'binary';
  readonly encoding?: 'one_bit' | 'one_and_half_bits' | 'two_bits';
  readonly queryEncoding?: 'default' | 'binary' | 'scalar4bits' | 'scalar8bits';
  readonly alwaysRam?: boolean;
}

/** TurboQuant copy (>= 1.19): 1 to 4 bits a value after a random rotation. */
export interface TurboQuantizationOptions {
  readonly kind: 'turbo';
  readonly bits?: 1 | 1.5 | 2 | 4;
  readonly alwaysRam?: boolean;
}

export type QuantizationOptions =
  | ScalarQuantizationOptions
  | BinaryQuantizationOptions
  | TurboQuantizationOptions;
export type ResolvedQuantization =
  | (ScalarQuantizationOptions & { readonly kind: 'scalar' })
  | BinaryQuantizationOptions
  | TurboQuantizationOptions;

function invalid(problem: string, option: string): never {
  throw optionError(option, problem, { backend: 'qdrant' });
}

export function resolveDatatype(value: string | undefined, option: string): VectorDatatype {
  if (value === undefined) return 'float32';
  if (value === 'uint8') {
    invalid(
      "uint8 is not usable for BGE-M3: Qdrant casts each float to a byte, so values in [-1, 1] become 0 or 1; use 'float16', 'turbo4' or a quantization",
      option,
    );
  }
  if (value !== 'float32' && value !== 'float16' && value !== 'turbo4')
    invalid(`must be one of float32, float16, turbo4, got ${JSON.stringify(value)}`, option);
  return value;
}

/** `true`: int8 scalar; an object: its kind (scalar when none is named); false/absent: none. */
export function resolveQuantization(
  value: boolean | QuantizationOptions | undefined,
  option: string,
): ResolvedQuantization | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { kind: 'scalar' };
  if (typeof value !== 'object' || value === null)
    invalid('must be a boolean or an options object', option);
  if (value.alwaysRam !== undefined && typeof value.alwaysRam !== 'boolean')
    invalid('alwaysRam must be true or false', option);
  switch (value.kind) {
    case undefined:
    case 'scalar':
      if (
        value.quantile !== undefined &&
        !(typeof value.quantile === 'number' && value.quantile >= 0.5 && value.quantile <= 1)
      ) {
        invalid(`quantile must be a number from 0.5 to 1, got ${String(value.quantile)}`, option);
      }
      return { ...value, kind: 'scalar' };
    case 'binary':
      oneOf(value.encoding, ['one_bit', 'one_and_half_bits', 'two_bits'], `${option}.encoding`);
      oneOf(
        value.queryEncoding,
        ['default', 'binary', 'scalar4bits', 'scalar8bits'],
        `${option}.queryEncoding`,
      );
      return value;
    case 'turbo':
      if (value.bits !== undefined && ![1, 1.5, 2, 4].includes(value.bits))
        invalid(`bits must be 1, 1.5, 2 or 4, got ${String(value.bits)}`, `${option}.bits`);
      return value;
    default:
      return invalid(
        `kind must be scalar, binary or turbo, got ${JSON.stringify((value as { kind?: unknown }).kind)}`,
        option,
      );
  }
}

function oneOf(value: string | undefined, allowed: readonly string[], option: string): void {
  if (value !== undefined && !allowed.includes(value))
    invalid(`must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, option);
}

/** The `quantization_config` Qdrant takes for a resolved quantisation. */
export function quantizationConfig(
  quantization: ResolvedQuantization,
): Schemas['QuantizationConfig'] {
  const ram = quantization.alwaysRam !== undefined ? { always_ram: quantization.alwaysRam } : {};
  switch (quantization.kind) {
    case 'scalar':
      return {
        scalar: {
          type: 'int8',
          ...(quantization.quantile !== undefined ? { quantile: quantization.quantile } : {}),
          ...ram,
        },
      };
    case 'binary':
      return {
        binary: {
          ...(quantization.encoding ? { encoding: quantization.encoding } : {}),
          ...(quantization.queryEncoding ? { query_encoding: quantization.queryEncoding } : {}),
          ...ram,
        },
      };
    case 'turbo': {
      const bits = quantization.bits === undefined ? {} : { bits: TURBO_BITS[quantization.bits] };
      return { turbo: { ...bits, ...ram } };
    }
  }
}

const TURBO_BITS = { 1: 'bits1', 1.5: 'bits1_5', 2: 'bits2', 4: 'bits4' } as const;
