import { CollectionMismatchError, resolveCollectionSpec } from '@m3kit/core';
import type { Schemas } from '@qdrant/js-client-rest';
import { describe, expect, it } from 'vitest';
import { resolveQdrantOptions } from './options.js';
import { buildCreateCollectionRequest } from './schema.js';
import {
  METADATA_KEY,
  inferSpec,
  mergeSpecs,
  modelDifference,
  readStoredSpec,
  toStoredSpec,
} from './stored-spec.js';

const spec = resolveCollectionSpec({
  name: 'docs',
  denseDimension: 16,
  signals: ['dense', 'colbert'],
  storeText: false,
  metadataFields: [
    { name: 'lang', type: 'keyword' },
    { name: 'year', type: 'integer' },
  ],
  model: 'BAAI/bge-m3',
});
const options = resolveQdrantOptions({ collection: spec });

function info(metadata: unknown, payloadSchema: Schemas['CollectionInfo']['payload_schema'] = {}) {
  const request = buildCreateCollectionRequest(spec, options);
  return {
    config: {
      params: { vectors: request.vectors, sparse_vectors: request.sparse_vectors ?? null },
      metadata,
    } as unknown as Schemas['CollectionConfig'],
    payload_schema: payloadSchema,
  };
}

describe('the spec kept in collection metadata', () => {
  it('reads back exactly what was stored, model included', () => {
    const stored = toStoredSpec(spec);
    expect(stored).toMatchObject({ format: 1, model: 'BAAI/bge-m3', storeText: false });
    expect(
      readStoredSpec(info({ [METADATA_KEY]: JSON.parse(JSON.stringify(stored)) }), 'docs'),
    ).toEqual(spec);
  });

  it('is absent from a collection without an m3kit entry', () => {
    expect(readStoredSpec(info(null), 'docs')).toBeUndefined();
    expect(readStoredSpec(info({ other: 1 }), 'docs')).toBeUndefined();
  });

  it('refuses an entry it cannot read, saying why', () => {
    expect(() => readStoredSpec(info({ [METADATA_KEY]: { format: 99 } }), 'docs')).toThrow(
      /format 99/,
    );
    const bad = () =>
      readStoredSpec(
        info({ [METADATA_KEY]: { format: 1, denseDimension: -1, signals: ['dense'] } }),
        'docs',
      );
    expect(bad).toThrow(CollectionMismatchError);
    expect(bad).toThrow(/denseDimension/);
  });

  it('infers a spec from vectors and payload indexes when there is no entry', () => {
    const inferred = inferSpec(
      info(null, {
        'metadata.year': { data_type: 'integer', points: 0 },
        'metadata.lang': { data_type: 'keyword', points: 0 },
        other: { data_type: 'keyword', points: 0 },
      }),
      'docs',
      options,
    );
    expect(inferred).toEqual(
      resolveCollectionSpec({
        name: 'docs',
        denseDimension: 16,
        signals: ['dense', 'colbert'],
        metadataFields: spec.metadataFields,
      }),
    );
  });

  it("says a collection with none of the vector names is not m3kit's", () => {
    const foreign = {
      config: {
        params: { vectors: { size: 3, distance: 'Cosine' } },
      } as unknown as Schemas['CollectionConfig'],
      payload_schema: {},
    };
    expect(() => inferSpec(foreign, 'docs', options)).toThrow(/not an m3kit collection/);
  });

  it('merges fields and keeps a known model; two different models differ', () => {
    const requested = resolveCollectionSpec({
      name: 'docs',
      denseDimension: 16,
      signals: ['dense', 'colbert'],
      metadataFields: [{ name: 'topic', type: 'keyword' }],
    });
    const merged = mergeSpecs(spec, requested);
    expect(merged.metadataFields.map((f) => f.name)).toEqual(['lang', 'year', 'topic']);
    expect(merged.model).toBe('BAAI/bge-m3');
    expect(modelDifference(spec, requested)).toBeUndefined();
    expect(modelDifference(spec, { ...requested, model: 'other/model' })).toMatch(
      /BAAI\/bge-m3.*other\/model/,
    );
  });
});
