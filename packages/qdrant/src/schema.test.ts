import { resolveCollectionSpec } from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { describe, expect, it } from 'vitest';
import { buildCreateCollectionRequest, compareCollection } from './schema.js';
import { resolveQdrantOptions } from './options.js';

const spec = resolveCollectionSpec({
  name: 'docs',
  denseDimension: 1024,
  metadataFields: [
    { name: 'lang', type: 'keyword' },
    { name: 'year', type: 'integer' },
    { name: 'tags', type: 'keyword[]' },
  ],
});
const options = resolveQdrantOptions({ collection: spec });

/** A collection info as Qdrant returns it for what m3kit creates. */
function infoFor(
  request: ReturnType<typeof buildCreateCollectionRequest>,
  payloadSchema: Schemas['CollectionInfo']['payload_schema'] = {},
) {
  return {
    config: {
      params: { vectors: request.vectors, sparse_vectors: request.sparse_vectors ?? null },
    } as unknown as Schemas['CollectionConfig'],
    payload_schema: payloadSchema,
  };
}

describe('buildCreateCollectionRequest', () => {
  it('creates dense (Dot), sparse (no IDF) and ColBERT (max_sim, HNSW off) named vectors', () => {
    expect(buildCreateCollectionRequest(spec, options)).toEqual({
      vectors: {
        dense: { size: 1024, distance: 'Dot' },
        colbert: {
          size: 1024,
          distance: 'Dot',
          multivector_config: { comparator: 'max_sim' },
          hnsw_config: { m: 0 },
        },
      },
      sparse_vectors: { sparse: { modifier: 'none' } },
    });
  });

  it('applies names, quantisation, HNSW and on-disk options', () => {
    const custom = resolveQdrantOptions({
      collection: spec,
      vectorNames: { dense: 'd', sparse: 's', colbert: 'c' },
      dense: {
        quantization: { quantile: 0.99, alwaysRam: true },
        hnsw: { m: 32, efConstruct: 200 },
      },
      colbert: { onDisk: true, quantization: true },
      sparse: { onDisk: true },
    });
    const request = buildCreateCollectionRequest(spec, custom);
    expect(request.vectors).toEqual({
      d: {
        size: 1024,
        distance: 'Dot',
        hnsw_config: { m: 32, ef_construct: 200 },
        quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } },
      },
      c: {
        size: 1024,
        distance: 'Dot',
        multivector_config: { comparator: 'max_sim' },
        hnsw_config: { m: 0 },
        quantization_config: { scalar: { type: 'int8' } },
        on_disk: true,
      },
    });
    expect(request.sparse_vectors).toEqual({ s: { modifier: 'none', index: { on_disk: true } } });
  });

  it('creates only the spec signals', () => {
    const denseOnly = resolveCollectionSpec({ name: 'd', denseDimension: 8, signals: ['dense'] });
    expect(buildCreateCollectionRequest(denseOnly, options)).toEqual({
      vectors: { dense: { size: 8, distance: 'Dot' } },
    });
  });
});

describe('compareCollection', () => {
  const created = buildCreateCollectionRequest(spec, options);

  it('accepts what it created and lists missing payload indexes', () => {
    const result = compareCollection(
      infoFor(created, { 'metadata.lang': { data_type: 'keyword', points: 0 } }),
      spec,
      options,
    );
    expect(result.differences).toEqual([]);
    expect(result.missingIndexes.map((f) => f.name)).toEqual(['year', 'tags']);
  });

  it('names a dense and ColBERT dimension mismatch', () => {
    const smaller = buildCreateCollectionRequest({ ...spec, denseDimension: 512 }, options);
    expect(compareCollection(infoFor(smaller), spec, options).differences).toEqual([
      'dense dimension: existing 512, requested 1024',
      'ColBERT dimension: existing 512, requested 1024',
    ]);
  });

  it('names distance, comparator and IDF differences', () => {
    const info = infoFor({
      vectors: {
        dense: { size: 1024, distance: 'Cosine' },
        colbert: { size: 1024, distance: 'Dot' },
      },
      sparse_vectors: { sparse: { modifier: 'idf' } },
    });
    expect(compareCollection(info, spec, options).differences).toEqual([
      'dense distance: existing Cosine, requested Dot',
      'ColBERT vector "colbert": existing is a single vector, requested multivector max_sim',
      'sparse modifier: existing idf, requested none (learned lexical weights are used as they are)',
    ]);
  });

  it('names missing and extra signals', () => {
    const denseOnly = resolveCollectionSpec({
      name: 'docs',
      denseDimension: 1024,
      signals: ['dense'],
    });
    expect(compareCollection(infoFor(created), denseOnly, options).differences).toEqual([
      'signals: existing collection stores colbert ("colbert"), requested signals dense',
      'signals: existing collection stores sparse ("sparse"), requested signals dense',
    ]);
    const info = infoFor(buildCreateCollectionRequest(denseOnly, options));
    expect(compareCollection(info, spec, options).differences).toEqual([
      'ColBERT multivector "colbert": missing in the existing collection',
      'sparse vector "sparse": missing in the existing collection',
    ]);
  });

  it('names an unnamed single-vector collection and a payload index of another type', () => {
    const info = {
      config: {
        params: { vectors: { size: 1024, distance: 'Dot' } },
      } as unknown as Schemas['CollectionConfig'],
      payload_schema: { 'metadata.year': { data_type: 'keyword' as const, points: 3 } },
    };
    const { differences } = compareCollection(info, spec, options);
    expect(differences[0]).toMatch(/one unnamed vector \(size 1024\)/);
    expect(differences).toContain(
      'payload index "metadata.year": existing keyword, requested integer (metadata field year: integer)',
    );
  });
});
