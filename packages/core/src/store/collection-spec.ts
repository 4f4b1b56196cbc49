import { InvalidInputError } from '../errors/invalid-input-error.js';
import { ALL_SIGNALS, type Signal } from '../embedding/types.js';
import { FIELD_NAME_PATTERN } from '../filter/filter.js';

/** How a metadata field is indexed for filtering. `keyword[]` holds tags (string arrays). */
export type MetadataFieldType = 'keyword' | 'keyword[]' | 'integer' | 'float' | 'boolean';

export interface MetadataFieldSpec {
  readonly name: string;
  readonly type: MetadataFieldType;
}

/** What a collection (Qdrant collection, Milvus collection, Elasticsearch index) holds. */
export interface CollectionSpec {
  readonly name: string;
  /** Dense vector size: 1024 for BAAI/bge-m3. */
  readonly denseDimension: number;
  /** Which BGE-M3 outputs are stored; default all three. */
  readonly signals?: readonly Signal[];
  /** Store the document text (default true). */
  readonly storeText?: boolean;
  /** Metadata fields to index for filtering; other metadata is stored but may filter slowly. */
  readonly metadataFields?: readonly MetadataFieldSpec[];
  /**
   * Which model made the vectors (e.g. `BAAI/bge-m3`, or a model directory's identity), kept with
   * the collection so a later run can reuse it. Compared only when both sides name one.
   */
  readonly model?: string;
}

/** A CollectionSpec with defaults filled in. */
export interface ResolvedCollectionSpec {
  readonly name: string;
  readonly denseDimension: number;
  readonly signals: readonly Signal[];
  readonly storeText: boolean;
  readonly metadataFields: readonly MetadataFieldSpec[];
  readonly model?: string;
}

export const BGE_M3_DENSE_DIMENSION = 1024;
const COLLECTION_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** Fills defaults and checks names: collection names lower-case (Elasticsearch's rule is the tightest). */
export function resolveCollectionSpec(spec: CollectionSpec): ResolvedCollectionSpec {
  if (!COLLECTION_NAME_PATTERN.test(spec.name)) {
    throw new InvalidInputError(
      `collection name ${JSON.stringify(spec.name)} must match ${COLLECTION_NAME_PATTERN.source}`,
    );
  }
  if (
    !Number.isInteger(spec.denseDimension) ||
    spec.denseDimension < 1 ||
    spec.denseDimension > 65_536
  ) {
    throw new InvalidInputError(`denseDimension must be an integer from 1 to 65536`);
  }
  const signals = spec.signals ?? ALL_SIGNALS;
  if (signals.length === 0 || signals.some((s) => !ALL_SIGNALS.includes(s))) {
    throw new InvalidInputError(`signals must be a non-empty subset of ${ALL_SIGNALS.join(', ')}`);
  }
  const metadataFields = spec.metadataFields ?? [];
  for (const field of metadataFields) {
    if (!FIELD_NAME_PATTERN.test(field.name)) {
      throw new InvalidInputError(
        `metadata field name ${JSON.stringify(field.name)} must match ${FIELD_NAME_PATTERN.source}`,
      );
    }
  }
  if (
    spec.model !== undefined &&
    (typeof spec.model !== 'string' || spec.model.length === 0 || spec.model.length > 512)
  ) {
    throw new InvalidInputError(`model must be a non-empty string of at most 512 characters`);
  }
  return {
    name: spec.name,
    denseDimension: spec.denseDimension,
    signals: ALL_SIGNALS.filter((s) => signals.includes(s)),
    storeText: spec.storeText ?? true,
    metadataFields,
    ...(spec.model !== undefined ? { model: spec.model } : {}),
  };
}
