import { createHash } from 'node:crypto';
import { RECORD_LIMITS, type ResolvedCollectionSpec, type Signal } from '@m3kit/core';
import {
  DataType,
  type CreateCollectionWithFieldsReq,
  type CreateIndexSimpleReq,
  type FieldType,
} from '@zilliz/milvus2-sdk-node';
import { FILTER_TERMS_FIELD, METADATA_FIELD } from './filter-translation.js';

type IndexRequest = Omit<CreateIndexSimpleReq, 'collection_name'>;

/** A create-collection request with its indexes: the collection is created indexed, ready to load. */
export type CreateRequest = CreateCollectionWithFieldsReq & { index_params: IndexRequest[] };

/** Field names in the main collection (one row per document). */
export const FIELDS = {
  /** Primary key: a digest of the id (see documentKey). */
  key: 'key',
  id: 'id',
  dense: 'dense',
  sparse: 'sparse',
  text: 'text',
  metadata: METADATA_FIELD,
  filterTerms: FILTER_TERMS_FIELD,
  colbertRows: 'colbert_rows',
  /** Milvus needs a vector field in every collection: a ColBERT-only spec gets this 2-d stand-in. */
  placeholder: 'no_vector',
} as const;

/** Field names in the ColBERT companion collection (one row per token vector). */
export const COLBERT_FIELDS = {
  /** Primary key: `<document key>:<row>`. */
  key: 'key',
  /** The document's key (documentKey): what deletes and restricted searches select by. */
  documentKey: 'doc_key',
  /** The document's id: what grouped searches group by and return. */
  documentId: 'doc_id',
  row: 'row',
  vector: 'vector',
  metadata: METADATA_FIELD,
  filterTerms: FILTER_TERMS_FIELD,
} as const;

/** Milvus' VarChar limit (bytes): text is stored as an array of chunks of at most this size. */
export const TEXT_CHUNK_BYTES = 65_535;
/** Enough chunks for core's largest text (1,000,000 bytes), with room for chunk-boundary slack. */
export const TEXT_MAX_CHUNKS = Math.ceil(RECORD_LIMITS.textBytes / (TEXT_CHUNK_BYTES - 3)) + 1;
/** Hex digits of a document key. */
export const DOCUMENT_KEY_LENGTH = 32;
export const COLBERT_KEY_MAX_BYTES = DOCUMENT_KEY_LENGTH + 8;

/**
 * The primary key of a document: 128 bits of SHA-256 of its id, in hex. Not the id itself:
 * Milvus Lite 2.5.1's upsert fails ("internal error") for a primary key containing a single quote
 * (it builds its own delete expression without escaping), and a fixed-size hex key can never
 * meet such a bug. The id is stored in its own field. Selecting by key also keeps ids out of
 * filter expressions: Milvus Lite's parser decodes no escape but `\\` and `\"` and rejects a
 * raw newline, so an id like "a\nb" could not be written as a literal there at all.
 */
export function documentKey(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex').slice(0, DOCUMENT_KEY_LENGTH);
}

export function colbertRowKey(id: string, row: number): string {
  return `${documentKey(id)}:${row}`;
}

/** Which index a vector field gets. Milvus Lite has FLAT and IVF_FLAT; a server has more (HNSW…). */
export interface IndexChoice {
  /** FLAT (default) is exact; any other type is approximate. */
  readonly type: string;
  /** Build parameters, e.g. `{ nlist: 1024 }` for IVF_FLAT, `{ M: 16, efConstruction: 200 }` for HNSW. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Search parameters, e.g. `{ nprobe: 32 }` or `{ ef: 128 }`. */
  readonly searchParams?: Readonly<Record<string, unknown>>;
}

export const FLAT_INDEX: IndexChoice = { type: 'FLAT' };

/**
 * What m3kit writes into the collection description: the resolved spec, so an existing collection
 * can be checked and any machine can reopen it (describeCollection) without local state.
 */
export interface SchemaMarker {
  readonly m3kit: 'milvus/v1';
  readonly denseDimension: number;
  readonly signals: readonly Signal[];
  readonly storeText: boolean;
  readonly metadataFields: ResolvedCollectionSpec['metadataFields'];
  /** Absent in collections made before the spec had a model, or made without one. */
  readonly model?: string;
}

export function schemaMarker(spec: ResolvedCollectionSpec): SchemaMarker {
  return {
    m3kit: 'milvus/v1',
    denseDimension: spec.denseDimension,
    signals: spec.signals,
    storeText: spec.storeText,
    metadataFields: spec.metadataFields,
    ...(spec.model !== undefined ? { model: spec.model } : {}),
  };
}

/** The spec a marker describes, for the collection of that name. */
export function specOfMarker(name: string, marker: SchemaMarker): ResolvedCollectionSpec {
  return {
    name,
    denseDimension: marker.denseDimension,
    signals: marker.signals,
    storeText: marker.storeText,
    metadataFields: marker.metadataFields ?? [],
    ...(typeof marker.model === 'string' ? { model: marker.model } : {}),
  };
}

/**
 * How the companion's token vectors are stored: `float16` (default; 2,048 bytes a 1024-d row,
 * half of float32; Milvus Lite 2.5.1 creates, indexes FLAT with IP, searches and returns it,
 * measured) or `float32` (the layout before float16, 4,096 bytes a row).
 */
export type ColbertVectorType = 'float16' | 'float32';
export const COLBERT_VECTOR_TYPES = ['float16', 'float32'] as const;

export function colbertCollectionName(name: string): string {
  return `${name}__colbert`;
}

/** The main collection's create request: schema, indexes, Strong consistency. */
export function mainCollectionRequest(
  spec: ResolvedCollectionSpec,
  denseIndex: IndexChoice,
): CreateRequest {
  const fields: FieldType[] = [
    {
      name: FIELDS.key,
      data_type: DataType.VarChar,
      is_primary_key: true,
      max_length: DOCUMENT_KEY_LENGTH,
    },
    { name: FIELDS.id, data_type: DataType.VarChar, max_length: RECORD_LIMITS.idBytes },
  ];
  const indexes: IndexRequest[] = [];
  if (spec.signals.includes('dense')) {
    fields.push({ name: FIELDS.dense, data_type: DataType.FloatVector, dim: spec.denseDimension });
    indexes.push(indexParams(FIELDS.dense, denseIndex));
  }
  if (spec.signals.includes('sparse')) {
    fields.push({ name: FIELDS.sparse, data_type: DataType.SparseFloatVector });
    // drop_ratio_build 0: keep every weight, so the inner product is over all of them.
    indexes.push({
      field_name: FIELDS.sparse,
      index_type: 'SPARSE_INVERTED_INDEX',
      metric_type: 'IP',
      params: { drop_ratio_build: 0 },
    });
  }
  if (!spec.signals.includes('dense') && !spec.signals.includes('sparse')) {
    fields.push({ name: FIELDS.placeholder, data_type: DataType.FloatVector, dim: 2 });
    indexes.push(indexParams(FIELDS.placeholder, FLAT_INDEX));
  }
  if (spec.storeText) {
    fields.push({
      name: FIELDS.text,
      data_type: DataType.Array,
      element_type: DataType.VarChar,
      max_length: TEXT_CHUNK_BYTES,
      max_capacity: TEXT_MAX_CHUNKS,
    });
  }
  fields.push({ name: FIELDS.metadata, data_type: DataType.JSON });
  fields.push({ name: FIELDS.filterTerms, data_type: DataType.JSON });
  if (spec.signals.includes('colbert'))
    fields.push({ name: FIELDS.colbertRows, data_type: DataType.Int64 });
  return {
    collection_name: spec.name,
    description: JSON.stringify(schemaMarker(spec)),
    fields,
    index_params: indexes,
    consistency_level: 'Strong',
    enable_dynamic_field: false,
  };
}

/** The ColBERT companion collection: one row per token vector, with the filter data of its document. */
export function colbertCollectionRequest(
  spec: ResolvedCollectionSpec,
  colbertIndex: IndexChoice,
  vectorType: ColbertVectorType = 'float16',
): CreateRequest {
  return {
    collection_name: colbertCollectionName(spec.name),
    description: JSON.stringify({
      m3kit: 'milvus/v1/colbert',
      of: spec.name,
      dim: spec.denseDimension,
    }),
    fields: [
      {
        name: COLBERT_FIELDS.key,
        data_type: DataType.VarChar,
        is_primary_key: true,
        max_length: COLBERT_KEY_MAX_BYTES,
      },
      {
        name: COLBERT_FIELDS.documentKey,
        data_type: DataType.VarChar,
        max_length: DOCUMENT_KEY_LENGTH,
      },
      {
        name: COLBERT_FIELDS.documentId,
        data_type: DataType.VarChar,
        max_length: RECORD_LIMITS.idBytes,
      },
      { name: COLBERT_FIELDS.row, data_type: DataType.Int64 },
      {
        name: COLBERT_FIELDS.vector,
        data_type: vectorType === 'float16' ? DataType.Float16Vector : DataType.FloatVector,
        dim: spec.denseDimension,
      },
      { name: COLBERT_FIELDS.metadata, data_type: DataType.JSON },
      { name: COLBERT_FIELDS.filterTerms, data_type: DataType.JSON },
    ],
    index_params: [indexParams(COLBERT_FIELDS.vector, colbertIndex)],
    consistency_level: 'Strong',
    enable_dynamic_field: false,
  };
}

function indexParams(field: string, choice: IndexChoice): IndexRequest {
  return {
    field_name: field,
    index_type: choice.type,
    metric_type: 'IP',
    ...(choice.params ? { params: { ...choice.params } as Record<string, string | number> } : {}),
  };
}

/** m3kit's marker in a collection description, or undefined for a description m3kit did not write. */
export function parseMarker(description: string | undefined): SchemaMarker | undefined {
  if (description === undefined || description.length === 0) return undefined;
  try {
    const parsed = JSON.parse(description) as Partial<SchemaMarker>;
    return parsed.m3kit === 'milvus/v1' ? (parsed as SchemaMarker) : undefined;
  } catch {
    return undefined;
  }
}
