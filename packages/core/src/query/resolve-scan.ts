import type { Filter } from '../filter/filter.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import type { ScanOptions } from '../store/store-v1.js';
import { resolveFilter } from './resolve-filter.js';

export const DEFAULT_SCAN_PAGE_SIZE = 1000;
export const MAX_SCAN_PAGE_SIZE = 10_000;

/** Scan page size: an integer from 1 to 10,000 (default 1000). */
export function resolvePageSize(pageSize: unknown): number {
  if (pageSize === undefined) return DEFAULT_SCAN_PAGE_SIZE;
  if (
    typeof pageSize !== 'number' ||
    !Number.isInteger(pageSize) ||
    pageSize < 1 ||
    pageSize > MAX_SCAN_PAGE_SIZE
  ) {
    throw new InvalidInputError(
      `scan pageSize must be an integer from 1 to ${MAX_SCAN_PAGE_SIZE}, got ${String(pageSize)}`,
    );
  }
  return pageSize;
}

export interface ResolvedScanOptions {
  readonly filter: Filter | undefined;
  readonly pageSize: number;
  readonly signal: AbortSignal | undefined;
}

/** Every scan option checked once, for every store (`scan.filter`, `scan pageSize`, the signal). */
export function resolveScanOptions(options: ScanOptions | undefined): ResolvedScanOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidInputError('scan options must be an object');
  }
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw new InvalidInputError('scan signal must be an AbortSignal');
  return {
    filter: resolveFilter(options?.filter, 'scan.filter'),
    pageSize: resolvePageSize(options?.pageSize),
    signal,
  };
}
