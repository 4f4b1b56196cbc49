import {
  BackendError,
  CollectionMismatchError,
  type MetadataFieldSpec,
  type MetadataFieldType,
  type ResolvedCollectionSpec,
} from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { isNotFound } from './errors.js';
import { payloadKey } from './filter-translation.js';
import type { ResolvedQdrantOptions } from './options.js';
import { requireStorageSupport, type QdrantServerFeatures } from './server-features.js';
import {
  METADATA_KEY,
  inferSpec,
  mergeSpecs,
  modelDifference,
  readStoredSpec,
  toStoredSpec,
} from './stored-spec.js';
import type { QdrantContext } from './transport.js';
import { quantizationConfig } from './vector-storage.js';

export type CreateCollectionRequest = Pick<
  Schemas['CreateCollection'],
  'vectors' | 'sparse_vectors'
>;

/** The collection m3kit creates: named dense, sparse and multivector entries for the spec's signals. */
export function buildCreateCollectionRequest(
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): CreateCollectionRequest {
  const vectors: Record<string, Schemas['VectorParams']> = {};
  const sparseVectors: Record<string, Schemas['SparseVectorParams']> = {};
  const { vectorNames: names } = options;
  if (spec.signals.includes('dense')) {
    // Dot on BGE-M3's normalised vectors: the score is FlagEmbedding's inner product, and Qdrant
    // does not renormalise the stored values as it would for Cosine.
    vectors[names.dense] = {
      size: spec.denseDimension,
      distance: 'Dot',
      ...(options.dense.hnsw ? { hnsw_config: hnswConfig(options.dense.hnsw) } : {}),
      ...(options.dense.quantization
        ? { quantization_config: quantizationConfig(options.dense.quantization) }
        : {}),
      ...(options.dense.onDisk !== undefined ? { on_disk: options.dense.onDisk } : {}),
    };
  }
  if (spec.signals.includes('colbert')) {
    // MaxSim only rescores candidates (or scans): no HNSW graph over every token vector (m = 0).
    vectors[names.colbert] = {
      size: spec.denseDimension,
      distance: 'Dot',
      multivector_config: { comparator: 'max_sim' },
      hnsw_config: { m: 0 },
      // turbo4 is newer than the client's types (Qdrant 1.19 openapi has it).
      ...(options.colbert.datatype !== 'float32'
        ? { datatype: options.colbert.datatype as Schemas['Datatype'] }
        : {}),
      ...(options.colbert.quantization
        ? { quantization_config: quantizationConfig(options.colbert.quantization) }
        : {}),
      ...(options.colbert.onDisk !== undefined ? { on_disk: options.colbert.onDisk } : {}),
    };
  }
  if (spec.signals.includes('sparse')) {
    // Learned lexical weights are final term weights: no IDF modifier, the score is the plain dot.
    sparseVectors[names.sparse] = {
      modifier: 'none',
      ...(options.sparse.onDisk !== undefined ? { index: { on_disk: options.sparse.onDisk } } : {}),
    };
  }
  return {
    vectors,
    ...(Object.keys(sparseVectors).length > 0 ? { sparse_vectors: sparseVectors } : {}),
  };
}

function hnswConfig(hnsw: {
  readonly m?: number;
  readonly efConstruct?: number;
}): Schemas['HnswConfigDiff'] {
  return {
    ...(hnsw.m !== undefined ? { m: hnsw.m } : {}),
    ...(hnsw.efConstruct !== undefined ? { ef_construct: hnsw.efConstruct } : {}),
  };
}

/** Qdrant payload index type for a metadata field type (`keyword[]`: a keyword index matches any element). */
export function payloadSchemaType(type: MetadataFieldType): Schemas['PayloadSchemaType'] {
  switch (type) {
    case 'keyword':
    case 'keyword[]':
      return 'keyword';
    case 'integer':
      return 'integer';
    case 'float':
      return 'float';
    case 'boolean':
      return 'bool';
  }
}

export interface CollectionComparison {
  /** One line per difference that makes the collection unusable for the spec. */
  readonly differences: readonly string[];
  /** Metadata fields without a payload index yet (created by ensureCollection, not a mismatch). */
  readonly missingIndexes: readonly MetadataFieldSpec[];
}

/**
 * Compares an existing collection with what the spec needs. Differences that change scores or
 * break writes (vector sizes, distances, multivector comparator, IDF modifier, missing or extra
 * signals, payload index types) are mismatches; tuning (HNSW, quantisation, on-disk) is not.
 */
export function compareCollection(
  info: Pick<Schemas['CollectionInfo'], 'config' | 'payload_schema'>,
  spec: ResolvedCollectionSpec,
  options: ResolvedQdrantOptions,
): CollectionComparison {
  const differences: string[] = [];
  const names = options.vectorNames;
  const rawVectors = info.config.params.vectors;
  const vectors: Record<string, Schemas['VectorParams'] | undefined> =
    rawVectors === undefined ? {} : isSingleVector(rawVectors) ? {} : rawVectors;
  if (rawVectors !== undefined && isSingleVector(rawVectors)) {
    differences.push(
      `vectors: existing collection has one unnamed vector (size ${rawVectors.size}), m3kit needs named vectors`,
    );
  }
  const sparse = info.config.params.sparse_vectors ?? {};

  const dense = vectors[names.dense];
  if (spec.signals.includes('dense')) {
    if (!dense)
      differences.push(`dense vector "${names.dense}": missing in the existing collection`);
    else {
      if (dense.size !== spec.denseDimension)
        differences.push(
          `dense dimension: existing ${dense.size}, requested ${spec.denseDimension}`,
        );
      if (dense.distance !== 'Dot')
        differences.push(`dense distance: existing ${dense.distance}, requested Dot`);
      if (dense.multivector_config)
        differences.push(`dense vector "${names.dense}": existing is a multivector`);
    }
  } else if (dense) {
    differences.push(
      `signals: existing collection stores dense ("${names.dense}"), requested signals ${spec.signals.join('+')}`,
    );
  }

  const colbert = vectors[names.colbert];
  if (spec.signals.includes('colbert')) {
    if (!colbert)
      differences.push(
        `ColBERT multivector "${names.colbert}": missing in the existing collection`,
      );
    else {
      if (colbert.size !== spec.denseDimension) {
        differences.push(
          `ColBERT dimension: existing ${colbert.size}, requested ${spec.denseDimension}`,
        );
      }
      if (colbert.distance !== 'Dot')
        differences.push(`ColBERT distance: existing ${colbert.distance}, requested Dot`);
      const comparator = colbert.multivector_config?.comparator;
      if (comparator !== 'max_sim') {
        differences.push(
          `ColBERT vector "${names.colbert}": existing ${comparator ? `comparator ${comparator}` : 'is a single vector'}, requested multivector max_sim`,
        );
      }
    }
  } else if (colbert) {
    differences.push(
      `signals: existing collection stores colbert ("${names.colbert}"), requested signals ${spec.signals.join('+')}`,
    );
  }

  const sparseParams = sparse[names.sparse];
  if (spec.signals.includes('sparse')) {
    if (!sparseParams)
      differences.push(`sparse vector "${names.sparse}": missing in the existing collection`);
    else if (sparseParams.modifier === 'idf') {
      differences.push(
        `sparse modifier: existing idf, requested none (learned lexical weights are used as they are)`,
      );
    }
  } else if (sparseParams) {
    differences.push(
      `signals: existing collection stores sparse ("${names.sparse}"), requested signals ${spec.signals.join('+')}`,
    );
  }

  const missingIndexes: MetadataFieldSpec[] = [];
  for (const field of spec.metadataFields) {
    const key = payloadKey(field.name, { metadataKey: options.payloadKeys.metadata });
    const existing = info.payload_schema[key];
    const wanted = payloadSchemaType(field.type);
    if (!existing) missingIndexes.push(field);
    else if (existing.data_type !== wanted) {
      differences.push(
        `payload index "${key}": existing ${existing.data_type}, requested ${wanted} (metadata field ${field.name}: ${field.type})`,
      );
    }
  }
  return { differences, missingIndexes };
}

function isSingleVector(vectors: Schemas['VectorsConfig']): vectors is Schemas['VectorParams'] {
  return (
    typeof (vectors as { size?: unknown }).size === 'number' &&
    typeof (vectors as { distance?: unknown }).distance === 'string'
  );
}

/**
 * Creates the collection when missing (a concurrent creator's 409 is fine: theirs is validated),
 * checks an existing one against the spec (vectors, payload index types, model), adds missing
 * payload indexes, and keeps the spec in the collection's metadata for describeCollection.
 */
export async function ensureCollectionOnServer(
  context: QdrantContext,
  features: QdrantServerFeatures,
  signal: AbortSignal | undefined,
): Promise<{ readonly created: boolean }> {
  const { collection, options, transport } = context;
  const name = collection.name;
  const { exists } = await transport.call(
    'collection exists',
    (client) => client.collectionExists(name),
    signal,
  );
  let created = false;
  if (!exists) {
    requireStorageSupport(features, options);
    const request = {
      ...buildCreateCollectionRequest(collection, options),
      ...(features.collectionMetadata
        ? { metadata: { [METADATA_KEY]: toStoredSpec(collection) } }
        : {}),
    };
    try {
      await transport.call(
        'create collection',
        (client) => client.createCollection(name, request),
        signal,
      );
      created = true;
    } catch (error) {
      // Another writer may have created it between our check and our create: validate theirs.
      if (!(BackendError.isInstance(error) && error.statusCode === 409)) throw error;
    }
  }
  const info = await transport.call(
    'get collection',
    (client) => client.getCollection(name),
    signal,
  );
  const stored = readStoredSpec(info, name);
  const { differences: vectorDifferences, missingIndexes } = compareCollection(
    info,
    collection,
    options,
  );
  const model = modelDifference(stored, collection);
  const differences = model ? [...vectorDifferences, model] : vectorDifferences;
  if (differences.length > 0)
    throw new CollectionMismatchError({ backend: 'qdrant', collection: name, differences });
  for (const field of missingIndexes) {
    const request = {
      field_name: payloadKey(field.name, { metadataKey: options.payloadKeys.metadata }),
      field_schema: payloadSchemaType(field.type),
      wait: true,
    };
    await transport.call(
      `create payload index ${field.name}`,
      (client) => client.createPayloadIndex(name, request),
      signal,
    );
  }
  const merged = toStoredSpec(mergeSpecs(stored, collection));
  if (
    features.collectionMetadata &&
    (!stored || JSON.stringify(merged) !== JSON.stringify(toStoredSpec(stored)))
  ) {
    const update = { metadata: { [METADATA_KEY]: merged } };
    await transport.call(
      'update collection metadata',
      (client) => client.updateCollection(name, update),
      signal,
    );
  }
  return { created };
}

/**
 * The spec the server holds for the collection: m3kit's entry in its metadata, or (for a
 * collection without one) what its vectors and payload indexes say. Undefined when it does not exist.
 */
export async function describeCollectionOnServer(
  context: QdrantContext,
  signal: AbortSignal | undefined,
): Promise<ResolvedCollectionSpec | undefined> {
  const name = context.collection.name;
  let info: Schemas['CollectionInfo'];
  try {
    info = await context.transport.retrying(
      'get collection',
      (client) => client.getCollection(name),
      signal,
    );
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  return readStoredSpec(info, name) ?? inferSpec(info, name, context.options);
}

/** Whether the collection exists; creates nothing. */
export async function collectionExists(
  context: QdrantContext,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const name = context.collection.name;
  const { exists } = await context.transport.retrying(
    'collection exists',
    (client) => client.collectionExists(name),
    signal,
  );
  return exists;
}

/** Deletes the collection; a missing one is not an error. */
export async function dropCollection(
  context: QdrantContext,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    await context.transport.call(
      'drop collection',
      (client) => client.deleteCollection(context.collection.name),
      signal,
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
