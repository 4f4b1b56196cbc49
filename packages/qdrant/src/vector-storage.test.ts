import { InvalidInputError } from '@m3kit/core';
import { describe, expect, it } from 'vitest';
import { resolveQdrantOptions, type QdrantStoreOptions } from './options.js';
import { RESCORE_PARAMS, QUANTIZED_RESCORE_PARAMS, colbertRerankParams } from './query-plan.js';
import { buildCreateCollectionRequest } from './schema.js';
import { qdrantCapabilities } from './capabilities.js';
import { quantizationConfig, resolveDatatype, resolveQuantization } from './vector-storage.js';

const collection = { name: 'c', denseDimension: 8 };
const resolve = (colbert: QdrantStoreOptions['colbert']) =>
  resolveQdrantOptions({ collection, colbert });
const colbertParams = (colbert: QdrantStoreOptions['colbert']) => {
  const options = resolve(colbert);
  const { vectors } = buildCreateCollectionRequest(
    { ...collection, signals: ['colbert'], storeText: true, metadataFields: [] },
    options,
  );
  return (vectors as Record<string, unknown>)['colbert'];
};

describe('compact ColBERT storage', () => {
  it('keeps float32 rows, scored exactly, by default', () => {
    const options = resolve(undefined);
    expect(options.colbert).toMatchObject({
      datatype: 'float32',
      quantization: undefined,
      score: 'originals',
    });
    expect(colbertParams(undefined)).not.toHaveProperty('datatype');
    expect(qdrantCapabilities(options, undefined).accuracy.colbert).toBe('exact');
  });

  it('sends the datatype and declares ColBERT approximate with compact rows', () => {
    expect(colbertParams({ datatype: 'float16' })).toMatchObject({
      datatype: 'float16',
      multivector_config: { comparator: 'max_sim' },
    });
    expect(colbertParams({ datatype: 'turbo4' })).toMatchObject({ datatype: 'turbo4' });
    expect(
      qdrantCapabilities(resolve({ datatype: 'float16' }), undefined).accuracy.colbert,
    ).toHaveProperty('minRecallAt10');
  });

  it('refuses uint8, which would cast BGE-M3 values to 0 or 1', () => {
    expect(() => resolveDatatype('uint8', 'colbert.datatype')).toThrow(
      /casts each float to a byte/,
    );
    expect(() => resolve({ datatype: 'uint8' as never })).toThrow(InvalidInputError);
  });

  it("maps each quantisation kind to Qdrant's config", () => {
    expect(quantizationConfig(resolveQuantization(true, 'q')!)).toEqual({
      scalar: { type: 'int8' },
    });
    expect(
      quantizationConfig(resolveQuantization({ quantile: 0.99, alwaysRam: true }, 'q')!),
    ).toEqual({ scalar: { type: 'int8', quantile: 0.99, always_ram: true } });
    expect(
      quantizationConfig(
        resolveQuantization(
          { kind: 'binary', encoding: 'two_bits', queryEncoding: 'scalar8bits' },
          'q',
        )!,
      ),
    ).toEqual({
      binary: { encoding: 'two_bits', query_encoding: 'scalar8bits' },
    });
    expect(
      quantizationConfig(resolveQuantization({ kind: 'turbo', bits: 1.5, alwaysRam: true }, 'q')!),
    ).toEqual({ turbo: { bits: 'bits1_5', always_ram: true } });
    expect(() => resolveQuantization({ kind: 'product' } as never, 'q')).toThrow(
      /scalar, binary or turbo/,
    );
    expect(() => resolveQuantization({ kind: 'turbo', bits: 3 as never }, 'q')).toThrow(
      /bits must be/,
    );
  });

  it('reranks with the originals unless told to score the quantised copy', () => {
    expect(colbertRerankParams(resolve({ quantization: true }))).toEqual(RESCORE_PARAMS);
    expect(
      colbertRerankParams(
        resolve({ quantization: { kind: 'binary' }, score: 'quantized', onDisk: true }),
      ),
    ).toEqual(QUANTIZED_RESCORE_PARAMS);
    expect(() => resolve({ score: 'quantized' })).toThrow(/needs colbert.quantization/);
  });
});
