import { resolveCollectionSpec, type CollectionSpec } from '@m3kit/core';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { describe, expect, it } from 'vitest';
import {
  FLAT_INDEX,
  TEXT_CHUNK_BYTES,
  TEXT_MAX_CHUNKS,
  colbertCollectionRequest,
  documentKey,
  mainCollectionRequest,
} from './collection-layout.js';
import {
  compareColbertCollection,
  compareMainCollection,
  type DescribedCollection,
  type DescribedIndex,
} from './schema-compare.js';

const SPEC: CollectionSpec = {
  name: 'docs',
  denseDimension: 1024,
  metadataFields: [{ name: 'lang', type: 'keyword' }],
};

/** What DescribeCollection returns for a collection created from `request` (the fields the comparison reads). */
function describedAs(request: ReturnType<typeof mainCollectionRequest>): DescribedCollection {
  return {
    description: request.description ?? '',
    fields: request.fields.map((field) => ({
      name: field.name,
      data_type: DataType[field.data_type as DataType],
      is_primary_key: field.is_primary_key === true,
      ...(field.dim === undefined ? {} : { dim: String(field.dim) }),
    })),
  };
}

function indexesOf(
  request: ReturnType<typeof mainCollectionRequest>,
  metric = 'IP',
): DescribedIndex[] {
  return request.index_params.map((index) => ({
    field_name: index.field_name,
    params: [
      { key: 'index_type', value: String(index.index_type) },
      { key: 'metric_type', value: metric },
    ],
  }));
}

describe('collection requests', () => {
  it('creates a VarChar key, IP-indexed dense and sparse vectors, JSON metadata and chunked text', () => {
    const request = mainCollectionRequest(resolveCollectionSpec(SPEC), FLAT_INDEX);
    const byName = new Map(request.fields.map((f) => [f.name, f]));
    expect(byName.get('key')).toMatchObject({
      data_type: DataType.VarChar,
      is_primary_key: true,
      max_length: 32,
    });
    expect(byName.get('id')).toMatchObject({ data_type: DataType.VarChar, max_length: 512 });
    expect(byName.get('dense')).toMatchObject({ data_type: DataType.FloatVector, dim: 1024 });
    expect(byName.get('sparse')).toMatchObject({ data_type: DataType.SparseFloatVector });
    expect(byName.get('text')).toMatchObject({
      data_type: DataType.Array,
      element_type: DataType.VarChar,
      max_length: TEXT_CHUNK_BYTES,
    });
    expect(TEXT_MAX_CHUNKS * (TEXT_CHUNK_BYTES - 3)).toBeGreaterThanOrEqual(1_000_000);
    expect(byName.get('metadata')?.data_type).toBe(DataType.JSON);
    expect(byName.get('filter_terms')?.data_type).toBe(DataType.JSON);
    expect(byName.get('colbert_rows')?.data_type).toBe(DataType.Int64);
    expect(request.consistency_level).toBe('Strong');
    expect(request.index_params).toEqual([
      { field_name: 'dense', index_type: 'FLAT', metric_type: 'IP' },
      {
        field_name: 'sparse',
        index_type: 'SPARSE_INVERTED_INDEX',
        metric_type: 'IP',
        params: { drop_ratio_build: 0 },
      },
    ]);
  });

  it('takes the dense index type and parameters it is given', () => {
    const request = mainCollectionRequest(resolveCollectionSpec(SPEC), {
      type: 'IVF_FLAT',
      params: { nlist: 128 },
    });
    expect(request.index_params[0]).toEqual({
      field_name: 'dense',
      index_type: 'IVF_FLAT',
      metric_type: 'IP',
      params: { nlist: 128 },
    });
  });

  it('gives a ColBERT-only collection a placeholder vector (Milvus needs one) and no text when asked', () => {
    const request = mainCollectionRequest(
      resolveCollectionSpec({ ...SPEC, signals: ['colbert'], storeText: false }),
      FLAT_INDEX,
    );
    const names = request.fields.map((f) => f.name);
    expect(names).toContain('no_vector');
    expect(names).not.toContain('dense');
    expect(names).not.toContain('text');
  });

  it('keeps one ColBERT row per token vector with its document key, id, row and filter data', () => {
    const request = colbertCollectionRequest(resolveCollectionSpec(SPEC), FLAT_INDEX);
    expect(request.collection_name).toBe('docs__colbert');
    expect(request.fields.map((f) => f.name)).toEqual([
      'key',
      'doc_key',
      'doc_id',
      'row',
      'vector',
      'metadata',
      'filter_terms',
    ]);
  });

  it('derives fixed-size hex keys from ids', () => {
    expect(documentKey(`it's "quoted"\n`)).toMatch(/^[0-9a-f]{32}$/);
    expect(documentKey('a')).not.toBe(documentKey('b'));
    expect(documentKey('a')).toBe(documentKey('a'));
  });
});

describe('compareMainCollection', () => {
  const spec = resolveCollectionSpec(SPEC);
  const request = mainCollectionRequest(spec, FLAT_INDEX);

  it('finds no difference in the collection it would create', () => {
    expect(compareMainCollection(spec, describedAs(request), indexesOf(request))).toEqual([]);
  });

  it('names another dense dimension', () => {
    const other = mainCollectionRequest(
      resolveCollectionSpec({ ...SPEC, denseDimension: 512 }),
      FLAT_INDEX,
    );
    const differences = compareMainCollection(spec, describedAs(other), indexesOf(other));
    expect(differences).toContain('dense dimension: existing 512, requested 1024');
    expect(differences).toContain('dense dimension (marker): existing 512, requested 1024');
  });

  it('names missing signals, text and metadata fields', () => {
    const other = mainCollectionRequest(
      resolveCollectionSpec({
        ...SPEC,
        signals: ['dense', 'colbert'],
        storeText: false,
        metadataFields: [],
      }),
      FLAT_INDEX,
    );
    const differences = compareMainCollection(spec, describedAs(other), indexesOf(other));
    expect(differences).toEqual(
      expect.arrayContaining([
        'field sparse: missing (requested SparseFloatVector)',
        'field text: missing (requested Array)',
        'signals: existing dense+colbert, requested dense+sparse+colbert',
        'storeText: existing false, requested true',
        expect.stringMatching(/^metadataFields: existing \[\], requested/),
      ]),
    );
  });

  it('names another metric and a collection m3kit did not create', () => {
    const foreign = { ...describedAs(request), description: 'my own collection' };
    const differences = compareMainCollection(spec, foreign, indexesOf(request, 'L2'));
    expect(differences).toContain(
      'description: not an m3kit collection (no m3kit marker in its description)',
    );
    expect(differences).toContain('field dense: metric existing L2, requested IP');
    expect(differences).toContain('field sparse: metric existing L2, requested IP');
  });

  it('names extra fields and another type', () => {
    const described = describedAs(request);
    const changed: DescribedCollection = {
      ...described,
      fields: [
        ...described.fields.map((f) =>
          f.name === 'colbert_rows' ? { ...f, data_type: 'Int32' } : f,
        ),
        { name: 'extra', data_type: 'Bool' },
      ],
    };
    expect(compareMainCollection(spec, changed, indexesOf(request))).toEqual([
      'field colbert_rows: type existing Int32, requested Int64',
      'field extra: present, but the spec has no such field',
    ]);
  });

  it('compares the ColBERT companion collection, prefixed with its name', () => {
    const colbert = colbertCollectionRequest(spec, FLAT_INDEX);
    const described = describedAs(colbert as ReturnType<typeof mainCollectionRequest>);
    expect(
      compareColbertCollection(
        spec,
        described,
        indexesOf(colbert as ReturnType<typeof mainCollectionRequest>),
      ),
    ).toEqual([]);
    const other = colbertCollectionRequest(
      resolveCollectionSpec({ ...SPEC, denseDimension: 128 }),
      FLAT_INDEX,
    );
    expect(
      compareColbertCollection(
        spec,
        describedAs(other as ReturnType<typeof mainCollectionRequest>),
        indexesOf(other as ReturnType<typeof mainCollectionRequest>),
      ),
    ).toEqual(['ColBERT collection docs__colbert: vector dimension: existing 128, requested 1024']);
  });

  it('stores token vectors as float16 by default, and tells how to open an older float32 companion', () => {
    const float16 = colbertCollectionRequest(spec, FLAT_INDEX);
    expect(float16.fields.find((f) => f.name === 'vector')!.data_type).toBe(DataType.Float16Vector);
    const old = colbertCollectionRequest(spec, FLAT_INDEX, 'float32');
    const described = describedAs(old as ReturnType<typeof mainCollectionRequest>);
    const indexes = indexesOf(old as ReturnType<typeof mainCollectionRequest>);
    const [difference, ...rest] = compareColbertCollection(spec, described, indexes);
    expect(rest).toEqual([]);
    expect(difference).toContain(
      'ColBERT collection docs__colbert: field vector: type existing FloatVector, requested Float16Vector',
    );
    expect(difference).toContain('open "docs" with colbertVectorType: "float32"');
    expect(compareColbertCollection(spec, described, indexes, 'float32')).toEqual([]);
  });
});
