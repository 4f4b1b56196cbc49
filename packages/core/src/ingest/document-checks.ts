import type { M3Document, MetadataValue } from '../document.js';
import {
  describeMetadataValue,
  fitsMetadataType,
  RECORD_LIMITS,
} from '../embedding/validate-record.js';
import { FIELD_NAME_PATTERN } from '../filter/filter.js';
import type { MetadataFieldType, ResolvedCollectionSpec } from '../store/collection-spec.js';
import { RESERVED_METADATA_PREFIX, SYNC_METADATA_FIELDS } from './sync-fields.js';

/** Bytes a chunk id adds to its document id: `#` + 16 hex + `#` + up to 10 digits. */
const CHUNK_ID_SUFFIX_BYTES = 28;
const utf8 = new TextEncoder();

/**
 * Why a document cannot be ingested, or undefined. Checked here, before any backend sees it, so
 * every backend skips the same documents for the same reasons (a long id, too many fields, a
 * value of another type than its declared field) instead of failing a whole write.
 */
export function documentProblem(
  document: M3Document,
  collection: ResolvedCollectionSpec,
): string | undefined {
  if (typeof document !== 'object' || document === null) return 'document is not an object';
  if (typeof document.id !== 'string' || document.id.length === 0) return 'document has no id';
  if (document.id.includes('#'))
    return 'document id must not contain "#" (chunk ids are docId#fingerprint#n)';
  if (!document.id.isWellFormed()) return 'document id contains a lone surrogate';
  const idLimit = RECORD_LIMITS.idBytes - CHUNK_ID_SUFFIX_BYTES;
  if (utf8.encode(document.id).length > idLimit)
    return `document id is longer than ${idLimit} bytes`;
  if (typeof document.text !== 'string') return 'document has no text';
  if (document.text.trim().length === 0) return 'document text is empty';
  if (!document.text.isWellFormed())
    return 'document text contains a lone surrogate (broken UTF-16)';
  return metadataProblem(document.metadata, collection);
}

function metadataProblem(
  metadata: M3Document['metadata'],
  collection: ResolvedCollectionSpec,
): string | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    return 'metadata is not an object';
  const entries = Object.entries(metadata);
  const limit = RECORD_LIMITS.metadataFields - SYNC_METADATA_FIELDS.length - 2;
  if (entries.length > limit)
    return `metadata has ${entries.length} fields, more than the ${limit} allowed`;
  const declared = new Map(collection.metadataFields.map((field) => [field.name, field.type]));
  for (const [name, value] of entries) {
    if (name.startsWith(RESERVED_METADATA_PREFIX))
      return `metadata field "${name}": names starting with "${RESERVED_METADATA_PREFIX}" are reserved`;
    if (!FIELD_NAME_PATTERN.test(name))
      return `metadata field name ${JSON.stringify(name)} must match ${FIELD_NAME_PATTERN.source}`;
    const type = declared.get(name);
    if (type !== undefined && !fitsType(value, type)) {
      return `metadata field "${name}" is declared ${type}, got ${describeMetadataValue(value)}`;
    }
  }
  return undefined;
}

/** A whole value against its declared type: a list fits only `keyword[]` (whose one tag may be a plain string). */
function fitsType(value: MetadataValue, type: MetadataFieldType): boolean {
  if (value === null) return true;
  return Array.isArray(value) ? type === 'keyword[]' : fitsMetadataType(value, type);
}
