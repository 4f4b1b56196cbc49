import type { M3Record } from '../document.js';
import { validateId, validateRecord } from '../embedding/validate-record.js';
import type { M3Error } from '../errors/m3-error.js';
import type { ResolvedCollectionSpec } from '../store/collection-spec.js';
import type { WriteFailure } from '../store/store-v1.js';
import { fallbackM3Error } from './to-m3-error.js';

/** One record that passed validation, with what the adapter made of it (e.g. a request body). */
export interface PreparedWrite<T> {
  readonly id: string;
  readonly record: M3Record;
  readonly value: T;
}

export interface PreparedWrites<T> {
  /** One entry per id, in the order of each id's last occurrence. */
  readonly items: readonly PreparedWrite<T>[];
  /** Records rejected before any request, in input order. */
  readonly failed: readonly WriteFailure[];
}

export interface PrepareWritesOptions<T> {
  /** Turns a valid record into what the adapter sends; may throw InvalidInputError for that id. */
  readonly prepare?: (record: M3Record) => T;
  /** Maps a thrown non-M3Error (default: a non-retryable BackendError of `backend`). */
  readonly toError?: (error: unknown) => M3Error;
  readonly backend?: string;
}

/**
 * The validation every store runs before writing: each id's last occurrence in the call wins (as
 * if the records were written one after another; earlier copies are neither validated nor sent,
 * so two copies never travel in concurrent batches), each survivor is checked by validateRecord
 * and prepared, and each rejected record is reported under its id (failureId).
 */
export function prepareWrites<T = M3Record>(
  records: readonly M3Record[],
  spec: ResolvedCollectionSpec,
  options: PrepareWritesOptions<T> = {},
): PreparedWrites<T> {
  const toError =
    options.toError ??
    ((error: unknown) => fallbackM3Error(error, options.backend ?? 'store', 'upsert'));
  const lastIndex = new Map<string, number>();
  records.forEach((record, index) => {
    const id = usableId(record);
    if (id !== undefined) lastIndex.set(id, index);
  });
  const failed: WriteFailure[] = [];
  const survivors: Array<{ index: number; item: PreparedWrite<T> }> = [];
  records.forEach((record, index) => {
    const id = usableId(record);
    if (id !== undefined && lastIndex.get(id) !== index) return;
    try {
      validateRecord(record, spec);
      const value = options.prepare ? options.prepare(record) : (record as unknown as T);
      survivors.push({ index, item: { id: record.id, record, value } });
    } catch (error) {
      failed.push({ id: failureId(record), error: toError(error) });
    }
  });
  return { items: survivors.sort((a, b) => a.index - b.index).map((s) => s.item), failed };
}

export interface PreparedDeletes {
  /** Valid ids, each once, in first-occurrence order. */
  readonly ids: readonly string[];
  readonly failed: readonly WriteFailure[];
}

/** Delete ids checked like record ids: duplicates merged, each bad id reported, none thrown. */
export function prepareDeletes(
  ids: readonly string[],
  options: Pick<PrepareWritesOptions<never>, 'toError' | 'backend'> = {},
): PreparedDeletes {
  const toError =
    options.toError ??
    ((error: unknown) => fallbackM3Error(error, options.backend ?? 'store', 'delete'));
  const unique = new Set<string>();
  const failed: WriteFailure[] = [];
  for (const id of ids) {
    try {
      unique.add(validateId(id));
    } catch (error) {
      failed.push({ id: describeId(id), error: toError(error) });
    }
  }
  return { ids: [...unique], failed };
}

/**
 * The id a rejected record is reported under: its id when that is a string (even an empty or
 * over-long one: the caller recognises it), else the value as text (`undefined`, `42`).
 */
export function failureId(record: unknown): string {
  const id =
    typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return describeId(id);
}

function describeId(id: unknown): string {
  if (typeof id === 'string') return id;
  // String() throws on a null-prototype object; a failure report must not (found by fuzzing).
  return typeof id === 'object' && id !== null && !('toString' in id) ? typeof id : String(id);
}

/** A string id dedupe can key on; records without one are each reported on their own. */
function usableId(record: unknown): string | undefined {
  const id =
    typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
