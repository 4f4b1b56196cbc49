import { resolveCollectionSpec } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { buildMapping, compareMapping, type IndexLayout } from './schema.js';

const layout = (
  changes: Partial<Parameters<typeof resolveCollectionSpec>[0]> = {},
  extra: Partial<IndexLayout> = {},
): IndexLayout => ({
  spec: resolveCollectionSpec({
    name: 'docs',
    denseDimension: 1024,
    metadataFields: [
      { name: 'lang', type: 'keyword' },
      { name: 'year', type: 'integer' },
      { name: 'rating', type: 'float' },
      { name: 'published', type: 'boolean' },
      { name: 'tags', type: 'keyword[]' },
    ],
    ...changes,
  }),
  dense: { type: 'int8_hnsw' },
  colbertEncoding: 'int8',
  colbertMean: true,
  ...extra,
});

describe('buildMapping', () => {
  it('maps each signal, metadata types and a strict top level', () => {
    const mapping = buildMapping(layout()) as {
      dynamic: string;
      _source: unknown;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(mapping.dynamic).toBe('strict');
    expect(mapping._source).toEqual({ excludes: ['dense', 'sparse', 'colbert', 'colbert_mean'] });
    expect(mapping.properties.colbert_mean).toEqual(mapping.properties.dense);
    expect(mapping.properties.dense).toEqual({
      type: 'dense_vector',
      dims: 1024,
      index: true,
      similarity: 'dot_product',
      index_options: { type: 'int8_hnsw' },
    });
    expect(mapping.properties.sparse).toEqual({ type: 'sparse_vector' });
    expect(mapping.properties.colbert).toEqual({ type: 'binary', store: true });
    expect(mapping.properties.metadata).toEqual({
      type: 'object',
      dynamic: false,
      properties: {
        lang: { type: 'keyword' },
        year: { type: 'long', coerce: false },
        rating: { type: 'double', coerce: false },
        published: { type: 'boolean' },
        tags: { type: 'keyword' },
      },
    });
  });

  it('leaves out the fields of signals the collection does not store, and HNSW options for flat', () => {
    const mapping = buildMapping(
      layout({ signals: ['dense'], storeText: false }, { dense: { type: 'flat', m: 32 } }),
    ) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(mapping.properties).sort()).toEqual([
      'dense',
      'dense_exact',
      'id',
      'metadata',
    ]);
    expect(mapping.properties.dense!.index_options).toEqual({ type: 'flat' });
  });

  it('passes HNSW parameters through', () => {
    const mapping = buildMapping(
      layout({}, { dense: { type: 'hnsw', m: 32, efConstruction: 200 } }),
    ) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(mapping.properties.dense!.index_options).toEqual({
      type: 'hnsw',
      m: 32,
      ef_construction: 200,
    });
  });
});

describe('compareMapping', () => {
  // Elasticsearch returns object mappings without `type` and dynamic as a string.
  const asReturned = (mapping: Record<string, unknown>): unknown =>
    JSON.parse(JSON.stringify(mapping));

  it('finds no difference with its own mapping', () => {
    expect(compareMapping(asReturned(buildMapping(layout())), layout())).toEqual([]);
  });

  it('names a different dense dimension', () => {
    const differences = compareMapping(
      asReturned(buildMapping(layout({ denseDimension: 768 }))),
      layout(),
    );
    expect(differences).toContain('dense dimension: existing 768, requested 1024');
    expect(differences).toContain('dense_vector dims: existing 768, requested 1024');
  });

  it('names different signals, metadata fields, ColBERT encoding and dense index type', () => {
    const existing = asReturned(
      buildMapping(
        layout(
          { signals: ['dense', 'colbert'], metadataFields: [{ name: 'lang', type: 'keyword' }] },
          { colbertEncoding: 'float32', dense: { type: 'hnsw' } },
        ),
      ),
    );
    const text = compareMapping(existing, layout()).join('\n');
    expect(text).toMatch(/^signals:/m);
    expect(text).toMatch(/^metadata fields:/m);
    expect(text).toMatch(/^ColBERT encoding: existing "float32", requested "int8"/m);
    expect(text).toMatch(/^dense index type: existing "hnsw", requested "int8_hnsw"/m);
    expect(text).toMatch(/^field sparse: existing type undefined/m);
  });

  it('tells how to open or migrate an index written in the older int16 ColBERT form', () => {
    const existing = asReturned(buildMapping(layout({}, { colbertEncoding: 'int16' })));
    const text = compareMapping(existing, layout()).join('\n');
    expect(text).toContain('ColBERT encoding: existing "int16", requested "int8"');
    expect(text).toContain(`open "${layout().spec.name}" with colbertEncoding: "int16"`);
    expect(text).toContain('migrate');
    expect(compareMapping(existing, layout({}, { colbertEncoding: 'int16' }))).toEqual([]);
  });

  it('refuses an index m3kit did not create', () => {
    expect(compareMapping({ properties: { title: { type: 'text' } } }, layout())).toEqual([
      'index exists but was not created by m3kit (no _meta.m3kit in its mapping)',
    ]);
  });
});
