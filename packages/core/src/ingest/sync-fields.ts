import type {
  CollectionSpec,
  MetadataFieldSpec,
  ResolvedCollectionSpec,
} from '../store/collection-spec.js';
import { InvalidInputError } from '../errors/invalid-input-error.js';

/**
 * Metadata that ingest() stores on every chunk, so the store itself records what produced it:
 * sync looks documents up by `m3_document_id`, compares `m3_fingerprint`, orders concurrent
 * versions by `m3_generation`, knows a version is complete when it holds `m3_chunk_count`
 * chunks, and prunes within `m3_source`. Names starting with `m3_` are reserved for these.
 */
export const SYNC_FIELDS = {
  documentId: 'm3_document_id',
  fingerprint: 'm3_fingerprint',
  generation: 'm3_generation',
  chunk: 'm3_chunk',
  chunkCount: 'm3_chunk_count',
  chunkStart: 'm3_chunk_start',
  chunkEnd: 'm3_chunk_end',
  source: 'm3_source',
} as const;

export const RESERVED_METADATA_PREFIX = 'm3_';

/** The fields a collection must index for sync (filters on them must work on every backend). */
export const SYNC_METADATA_FIELDS: readonly MetadataFieldSpec[] = [
  { name: SYNC_FIELDS.documentId, type: 'keyword' },
  { name: SYNC_FIELDS.fingerprint, type: 'keyword' },
  { name: SYNC_FIELDS.source, type: 'keyword' },
  { name: SYNC_FIELDS.generation, type: 'integer' },
  { name: SYNC_FIELDS.chunk, type: 'integer' },
  { name: SYNC_FIELDS.chunkCount, type: 'integer' },
];

/** `spec` with the sync fields added to its metadata fields (those already declared kept as they are). */
export function withSyncFields<T extends CollectionSpec>(spec: T): T {
  const declared = new Set((spec.metadataFields ?? []).map((field) => field.name));
  const missing = SYNC_METADATA_FIELDS.filter((field) => !declared.has(field.name));
  return missing.length === 0
    ? spec
    : { ...spec, metadataFields: [...(spec.metadataFields ?? []), ...missing] };
}

/**
 * Throws when the store's collection does not index the sync fields with their types. The exact
 * store filters on any metadata, declared or not, so it needs no declaration; server backends
 * filter only on indexed fields.
 */
export function checkSyncFields(collection: ResolvedCollectionSpec, backend = ''): void {
  if (backend === 'exact') return;
  const types = new Map(collection.metadataFields.map((field) => [field.name, field.type]));
  const wrong = SYNC_METADATA_FIELDS.filter((field) => types.get(field.name) !== field.type);
  if (wrong.length === 0) return;
  throw new InvalidInputError(
    `collection "${collection.name}" does not index the fields ingest() syncs by ` +
      `(${wrong.map((f) => `${f.name}:${f.type}`).join(', ')}): create the store with withSyncFields(spec) ` +
      `or add SYNC_METADATA_FIELDS to its metadataFields`,
    { item: collection.name },
  );
}
