import {
  CollectionMismatchError,
  resolveCollectionSpec,
  type MetadataFieldSpec,
  type MetadataFieldType,
  type ResolvedCollectionSpec,
  type Signal,
} from '@m3kit/core';
import type { ColbertEncoding } from './colbert-codec.js';
import { BACKEND, elasticErrorType } from './errors.js';
import type { ElasticTransport } from './transport.js';

/** Vector index structures of `dense_vector` (8.x names; availability varies by version). */
export type DenseIndexType =
  | 'hnsw'
  | 'int8_hnsw'
  | 'int4_hnsw'
  | 'bbq_hnsw'
  | 'flat'
  | 'int8_flat'
  | 'int4_flat'
  | 'bbq_flat';

export interface DenseIndexOptions {
  /** Default `int8_hnsw` (Elasticsearch 8.x's own default for float vectors). */
  readonly type?: DenseIndexType;
  /** HNSW graph degree (Elasticsearch default 16). */
  readonly m?: number;
  /** HNSW build beam width (Elasticsearch default 100). */
  readonly efConstruction?: number;
}

/** Everything about an index's layout that must match between the store and an existing index. */
export interface IndexLayout {
  readonly spec: ResolvedCollectionSpec;
  readonly dense: Required<Pick<DenseIndexOptions, 'type'>> & DenseIndexOptions;
  readonly colbertEncoding: ColbertEncoding;
  /** Index the normalised mean of each document's ColBERT rows for ColBERT-aware candidates. */
  readonly colbertMean: boolean;
}

/** Bumped when the document layout changes incompatibly. */
export const LAYOUT_VERSION = 1;

/**
 * Field names inside the index. Elasticsearch scores from `dense` and `sparse`; m3kit rescores
 * exactly from the `*_exact` binary copies (the indexed forms are normalised or rounded: see
 * record-codec.ts), which is also what `get` returns.
 */
export const FIELDS = {
  id: 'id',
  text: 'text',
  metadata: 'metadata',
  dense: 'dense',
  denseExact: 'dense_exact',
  sparse: 'sparse',
  lexicalExact: 'lexical_exact',
  colbert: 'colbert',
  colbertMean: 'colbert_mean',
} as const;

const METADATA_TYPES: Record<MetadataFieldType, Record<string, unknown>> = {
  keyword: { type: 'keyword' },
  'keyword[]': { type: 'keyword' },
  // long and double: JavaScript numbers round-trip (an ES `float` would round 0.1), and coerce
  // off so "5" is not silently indexed as 5 (m3kit filters are type-strict).
  integer: { type: 'long', coerce: false },
  float: { type: 'double', coerce: false },
  boolean: { type: 'boolean' },
};

/** The index mapping for a collection. */
export function buildMapping(layout: IndexLayout): Record<string, unknown> {
  const { spec, dense, colbertEncoding, colbertMean } = layout;
  const properties: Record<string, unknown> = {
    [FIELDS.id]: { type: 'keyword' },
  };
  if (spec.storeText) properties[FIELDS.text] = { type: 'text', index: false };
  const metadataProperties: Record<string, unknown> = {};
  for (const field of spec.metadataFields)
    metadataProperties[field.name] = { ...METADATA_TYPES[field.type] };
  // dynamic: false: undeclared metadata is kept in _source (and returned) but never indexed, so
  // arbitrary keys cannot explode the mapping.
  properties[FIELDS.metadata] = { type: 'object', dynamic: false, properties: metadataProperties };
  if (spec.signals.includes('dense')) {
    properties[FIELDS.dense] = denseVectorMapping(spec.denseDimension, dense);
    properties[FIELDS.denseExact] = { type: 'binary' };
  }
  if (spec.signals.includes('sparse')) {
    properties[FIELDS.sparse] = { type: 'sparse_vector' };
    properties[FIELDS.lexicalExact] = { type: 'binary' };
  }
  // A stored field outside _source: the blob is large (2 bytes a value), and every _source
  // fetch with includes parses the whole _source; stored fields are read only when asked for.
  if (spec.signals.includes('colbert'))
    properties[FIELDS.colbert] = { type: 'binary', store: true };
  // The direction of a document's mean ColBERT row: a kNN over it finds documents whose rows
  // point where the query's do, candidates the dense and sparse lists can miss. Indexed like
  // the dense vector; derived, so not in _source.
  if (spec.signals.includes('colbert') && colbertMean) {
    properties[FIELDS.colbertMean] = denseVectorMapping(spec.denseDimension, dense);
  }
  return {
    dynamic: 'strict',
    // The indexed vector forms are rebuilt from the exact copies; keeping them in _source too
    // would double what every fetch carries. ColBERT is a stored field (see above).
    _source: { excludes: [FIELDS.dense, FIELDS.sparse, FIELDS.colbert, FIELDS.colbertMean] },
    _meta: {
      m3kit: {
        layout: LAYOUT_VERSION,
        denseDimension: spec.denseDimension,
        signals: [...spec.signals],
        storeText: spec.storeText,
        metadataFields: spec.metadataFields.map((f) => ({ name: f.name, type: f.type })),
        colbertEncoding,
        colbertMean,
        denseIndex: dense.type,
        ...(spec.model !== undefined ? { model: spec.model } : {}),
      },
    },
    properties,
  };
}

function denseVectorMapping(dims: number, dense: IndexLayout['dense']): Record<string, unknown> {
  const indexOptions: Record<string, unknown> = { type: dense.type };
  if (dense.type.endsWith('hnsw')) {
    if (dense.m !== undefined) indexOptions.m = dense.m;
    if (dense.efConstruction !== undefined) indexOptions.ef_construction = dense.efConstruction;
  }
  return {
    type: 'dense_vector',
    dims,
    index: true,
    similarity: 'dot_product',
    index_options: indexOptions,
  };
}

interface StoredMeta {
  layout?: unknown;
  denseDimension?: unknown;
  signals?: unknown;
  storeText?: unknown;
  metadataFields?: unknown;
  colbertEncoding?: unknown;
  colbertMean?: unknown;
  denseIndex?: unknown;
  model?: unknown;
}

/**
 * Differences between an existing index's mapping and the one this store would create, one
 * line each ("dense dimension: existing 768, requested 1024"); empty when compatible.
 */
export function compareMapping(existing: unknown, layout: IndexLayout): string[] {
  const mapping = (existing ?? {}) as {
    _meta?: { m3kit?: StoredMeta };
    properties?: Record<string, unknown>;
  };
  const meta = mapping._meta?.m3kit;
  if (meta === undefined)
    return ['index exists but was not created by m3kit (no _meta.m3kit in its mapping)'];
  const differences: string[] = [];
  const expected = buildMapping(layout) as {
    _meta: { m3kit: StoredMeta };
    properties: Record<string, unknown>;
  };
  const want = expected._meta.m3kit;
  const check = (label: string, have: unknown, wanted: unknown): void => {
    if (JSON.stringify(have) !== JSON.stringify(wanted)) {
      differences.push(
        `${label}: existing ${JSON.stringify(have)}, requested ${JSON.stringify(wanted)}`,
      );
    }
  };
  check('layout version', meta.layout, want.layout);
  check('dense dimension', meta.denseDimension, want.denseDimension);
  check('signals', meta.signals, want.signals);
  check('storeText', meta.storeText, want.storeText);
  check('metadata fields', sortFields(meta.metadataFields), sortFields(want.metadataFields));
  // The model is compared only when both sides name one (an older index may not).
  if (meta.model !== undefined && want.model !== undefined) check('model', meta.model, want.model);
  if (layout.spec.signals.includes('colbert')) {
    // Blobs are self-describing, so any store can read any encoding; the check keeps one index
    // in one form (its bytes per token and score tolerance are declared from it). Indices
    // written before int8 became the default hold int16: say how to open or migrate them.
    if (meta.colbertEncoding !== want.colbertEncoding) {
      differences.push(
        `ColBERT encoding: existing ${JSON.stringify(meta.colbertEncoding)}, requested ${JSON.stringify(want.colbertEncoding)}` +
          ` (open "${layout.spec.name}" with colbertEncoding: ${JSON.stringify(meta.colbertEncoding)} to keep using it,` +
          ` or migrate: copy its records with get({ includeEmbedding: true }) into a new collection and drop it)`,
      );
    }
    check('ColBERT mean vector', meta.colbertMean, want.colbertMean);
  }
  if (layout.spec.signals.includes('dense')) {
    check('dense index type', meta.denseIndex, want.denseIndex);
    const dense = mapping.properties?.[FIELDS.dense] as
      | { dims?: unknown; similarity?: unknown }
      | undefined;
    check('dense_vector dims', dense?.dims, layout.spec.denseDimension);
    check('dense_vector similarity', dense?.similarity, 'dot_product');
  }
  // The fields themselves, in case the mapping was edited by hand after creation.
  for (const [name, definition] of Object.entries(expected.properties)) {
    if (name === FIELDS.metadata) continue; // object mappings carry no `type`; _meta covers it
    const have = mapping.properties?.[name] as { type?: unknown } | undefined;
    const wanted = (definition as { type?: unknown }).type;
    if (have?.type !== wanted)
      differences.push(
        `field ${name}: existing type ${JSON.stringify(have?.type)}, requested ${JSON.stringify(wanted)}`,
      );
  }
  return differences;
}

function sortFields(fields: unknown): unknown {
  if (!Array.isArray(fields)) return fields;
  return [...fields].sort((a: { name?: string }, b: { name?: string }) =>
    String(a.name).localeCompare(String(b.name)),
  );
}

type MappingResponse = Record<string, { mappings?: unknown }>;

/**
 * Creates the index with the layout's mapping, or checks an existing one against it
 * (CollectionMismatchError listing each difference). An existing index whose `_meta` names no
 * model gets this store's model recorded, so later readers can reopen it without local state.
 */
export async function ensureIndex(
  transport: ElasticTransport,
  layout: IndexLayout,
  settings: Readonly<Record<string, unknown>>,
  signal?: AbortSignal,
): Promise<{ readonly created: boolean }> {
  const mapping = buildMapping(layout);
  try {
    await transport.request(
      {
        method: 'PUT',
        path: '',
        what: `create index ${layout.spec.name}`,
        body: { settings: { ...settings }, mappings: mapping },
        retry: false,
      },
      signal,
    );
    return { created: true };
  } catch (error) {
    if (elasticErrorType(error) !== 'resource_already_exists_exception') throw error;
  }
  const existing = await transport.request<MappingResponse>(
    { method: 'GET', path: '/_mapping', what: 'read mapping' },
    signal,
  );
  const mappings = Object.values(existing)[0]?.mappings;
  const differences = compareMapping(mappings, layout);
  if (differences.length > 0)
    throw new CollectionMismatchError({
      backend: BACKEND,
      collection: layout.spec.name,
      differences,
    });
  const meta = (mappings as { _meta?: { m3kit?: StoredMeta } } | undefined)?._meta?.m3kit;
  if (layout.spec.model !== undefined && meta?.model === undefined) {
    await transport.request(
      {
        method: 'PUT',
        path: '/_mapping',
        what: 'record the model in the mapping',
        body: { _meta: mapping._meta },
      },
      signal,
    );
  }
  return { created: false };
}

/** The spec kept in an existing index's `_meta.m3kit`, or undefined when there is no such index. */
export async function describeIndex(
  transport: ElasticTransport,
  name: string,
  signal?: AbortSignal,
): Promise<ResolvedCollectionSpec | undefined> {
  let response: MappingResponse;
  try {
    response = await transport.request<MappingResponse>(
      { method: 'GET', path: '/_mapping', what: 'read mapping' },
      signal,
    );
  } catch (error) {
    if (elasticErrorType(error) === 'index_not_found_exception') return undefined;
    throw error;
  }
  return specFromMapping(name, Object.values(response)[0]?.mappings);
}

/** Reads a collection spec back from a mapping this module built (pure). */
export function specFromMapping(name: string, mappings: unknown): ResolvedCollectionSpec {
  const meta = (mappings as { _meta?: { m3kit?: StoredMeta } } | undefined)?._meta?.m3kit;
  if (meta === undefined) {
    throw new CollectionMismatchError({
      backend: BACKEND,
      collection: name,
      differences: ['index exists but was not created by m3kit (no _meta.m3kit in its mapping)'],
    });
  }
  try {
    return resolveCollectionSpec({
      name,
      denseDimension: meta.denseDimension as number,
      signals: meta.signals as Signal[],
      storeText: meta.storeText as boolean,
      metadataFields: (meta.metadataFields ?? []) as MetadataFieldSpec[],
      ...(typeof meta.model === 'string' ? { model: meta.model } : {}),
    });
  } catch (error) {
    throw new CollectionMismatchError({
      backend: BACKEND,
      collection: name,
      differences: [`_meta.m3kit of the index is malformed: ${(error as Error).message}`],
    });
  }
}
