import type { Metadata, MetadataValue } from '../document.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';
import { FIELD_NAME_PATTERN } from '../filter/filter.js';

/**
 * A framework's metadata (LangChain's, LlamaIndex's) is any JSON; m3kit's is flat (scalars, null,
 * string arrays) because every backend must index it. Nested plain objects are flattened with `_`
 * (a text splitter's `loc: { lines: { from, to } }` becomes `loc_lines_from`, `loc_lines_to`; a
 * loader's `file: { name }` becomes `file_name`); a Date becomes its ISO string; anything else that
 * cannot be stored is an InvalidInputError naming the document and the key, never dropped.
 */
export function flattenMetadata(
  metadata: Record<string, unknown> | undefined,
  documentId: string,
): Metadata {
  const flat: Record<string, MetadataValue> = {};
  flatten(metadata ?? {}, '', flat, documentId);
  return flat;
}

function flatten(
  value: Record<string, unknown>,
  prefix: string,
  into: Record<string, MetadataValue>,
  documentId: string,
): void {
  for (const [key, entry] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}_${key}`;
    if (entry === undefined) continue;
    if (isPlainObject(entry)) {
      flatten(entry, name, into, documentId);
      continue;
    }
    if (!FIELD_NAME_PATTERN.test(name)) {
      throw new InvalidInputError(
        `metadata key ${JSON.stringify(name)} must match ${FIELD_NAME_PATTERN.source}`,
        { item: documentId },
      );
    }
    into[name] = storable(entry, name, documentId);
  }
}

function storable(value: unknown, name: string, documentId: string): MetadataValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (value instanceof Date) return value.toISOString();
  throw new InvalidInputError(
    `metadata "${name}" must be a string, finite number, boolean, null, array of strings or nested object of those`,
    { item: documentId },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
