import {
  CollectionMismatchError,
  resolveCollectionSpec,
  type MetadataFieldSpec,
  type MetadataFieldType,
  type ResolvedCollectionSpec,
  type Signal,
} from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import type { ResolvedQdrantOptions } from './options.js';

/** The key of m3kit's entry in a Qdrant collection's `metadata` (Qdrant >= 1.16). */
export const METADATA_KEY = 'm3kit';
/** Version of the stored entry's layout; a reader refuses layouts newer than it knows. */
export const STORED_SPEC_FORMAT = 1;

/** What m3kit keeps in the collection's metadata: the resolved spec without its name. */
export interface StoredSpec {
  readonly format: number;
  readonly denseDimension: number;
  readonly signals: readonly Signal[];
  readonly storeText: boolean;
  readonly metadataFields: readonly MetadataFieldSpec[];
  readonly model?: string;
}

export function toStoredSpec(spec: ResolvedCollectionSpec): StoredSpec {
  return {
    format: STORED_SPEC_FORMAT,
    denseDimension: spec.denseDimension,
    signals: spec.signals,
    storeText: spec.storeText,
    metadataFields: spec.metadataFields.map((field) => ({ name: field.name, type: field.type })),
    ...(spec.model !== undefined ? { model: spec.model } : {}),
  };
}

type CollectionInfo = Pick<Schemas['CollectionInfo'], 'config' | 'payload_schema'>;

/** The m3kit entry of a collection's metadata, parsed and checked, or undefined when there is none. */
export function readStoredSpec(
  info: CollectionInfo,
  name: string,
): ResolvedCollectionSpec | undefined {
  const entry = (info.config.metadata as Record<string, unknown> | null | undefined)?.[
    METADATA_KEY
  ];
  if (entry === undefined || entry === null) return undefined;
  const unreadable = (why: string): never => {
    throw new CollectionMismatchError({
      backend: 'qdrant',
      collection: name,
      differences: [`stored m3kit spec (collection metadata "${METADATA_KEY}") ${why}`],
    });
  };
  if (typeof entry !== 'object' || Array.isArray(entry)) return unreadable('is not an object');
  const stored = entry as Partial<StoredSpec>;
  if (typeof stored.format !== 'number' || stored.format > STORED_SPEC_FORMAT) {
    return unreadable(
      `has format ${String(stored.format)}; this m3kit reads format ${STORED_SPEC_FORMAT}: upgrade @m3kit/qdrant`,
    );
  }
  try {
    return resolveCollectionSpec({
      name,
      denseDimension: stored.denseDimension as number,
      signals: stored.signals as Signal[],
      storeText: stored.storeText === true,
      metadataFields: Array.isArray(stored.metadataFields) ? stored.metadataFields : [],
      ...(typeof stored.model === 'string' ? { model: stored.model } : {}),
    });
  } catch (error) {
    return unreadable(`is invalid: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The spec of a collection that has no m3kit entry (made by an m3kit before it kept one, or on a
 * Qdrant before 1.16), read back from its vectors and payload indexes: the model is unknown,
 * `keyword[]` fields read as `keyword` (Qdrant indexes both alike) and text is assumed stored.
 */
export function inferSpec(
  info: CollectionInfo,
  name: string,
  options: ResolvedQdrantOptions,
): ResolvedCollectionSpec {
  const raw = info.config.params.vectors;
  const vectors = (
    raw !== undefined && typeof (raw as { size?: unknown }).size !== 'number' ? raw : {}
  ) as Record<string, Schemas['VectorParams'] | undefined>;
  const sparse = info.config.params.sparse_vectors ?? {};
  const names = options.vectorNames;
  const signals: Signal[] = [];
  if (vectors[names.dense]) signals.push('dense');
  if (sparse[names.sparse]) signals.push('sparse');
  if (vectors[names.colbert]?.multivector_config) signals.push('colbert');
  const dimension = vectors[names.dense]?.size ?? vectors[names.colbert]?.size;
  if (signals.length === 0 || dimension === undefined) {
    throw new CollectionMismatchError({
      backend: 'qdrant',
      collection: name,
      differences: [
        `not an m3kit collection: no vector named "${names.dense}", "${names.sparse}" or "${names.colbert}", and no m3kit spec in its metadata`,
      ],
    });
  }
  const prefix = `${options.payloadKeys.metadata}.`;
  const metadataFields: MetadataFieldSpec[] = [];
  for (const [key, schema] of Object.entries(info.payload_schema)) {
    const type = key.startsWith(prefix) ? fieldType(schema?.data_type) : undefined;
    if (type) metadataFields.push({ name: key.slice(prefix.length), type });
  }
  metadataFields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return resolveCollectionSpec({
    name,
    denseDimension: dimension,
    signals,
    storeText: true,
    metadataFields,
  });
}

function fieldType(
  dataType: Schemas['PayloadSchemaType'] | undefined,
): MetadataFieldType | undefined {
  switch (dataType) {
    case 'keyword':
      return 'keyword';
    case 'integer':
      return 'integer';
    case 'float':
      return 'float';
    case 'bool':
      return 'boolean';
    default:
      return undefined;
  }
}

/**
 * The spec to keep after a successful ensureCollection: the requested one, with the stored
 * fields it does not name (their indexes stay) and the stored model when it names none.
 */
export function mergeSpecs(
  stored: ResolvedCollectionSpec | undefined,
  requested: ResolvedCollectionSpec,
): ResolvedCollectionSpec {
  if (!stored) return requested;
  const fields = new Map(stored.metadataFields.map((field) => [field.name, field]));
  for (const field of requested.metadataFields) fields.set(field.name, field);
  const model = requested.model ?? stored.model;
  return {
    ...requested,
    metadataFields: [...fields.values()],
    ...(model !== undefined ? { model } : {}),
  };
}

/** A stored and a requested model that both exist and differ: vectors of two models never mix. */
export function modelDifference(
  stored: ResolvedCollectionSpec | undefined,
  requested: ResolvedCollectionSpec,
): string | undefined {
  if (
    stored?.model === undefined ||
    requested.model === undefined ||
    stored.model === requested.model
  )
    return undefined;
  return `model: existing collection holds vectors of ${JSON.stringify(stored.model)}, requested ${JSON.stringify(requested.model)}`;
}
