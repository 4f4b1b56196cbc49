import { describe, expect, it } from 'vitest';
import { RECALL_FLOORS, qdrantCapabilities } from './capabilities.js';
import { resolveQdrantOptions, type QdrantStoreOptions } from './options.js';
import { featuresForVersion } from './server-features.js';

const capabilities = (options: Partial<QdrantStoreOptions> = {}, version?: string) =>
  qdrantCapabilities(
    resolveQdrantOptions({ collection: { name: 'c', denseDimension: 8 }, ...options }),
    version ? featuresForVersion(version) : undefined,
  );

describe('qdrantCapabilities', () => {
  it('declares recall floors for the approximate parts of the default setup', () => {
    const { accuracy, nativeFusion, nativeColbert, backend } = capabilities({}, '1.19.0');
    expect(backend).toBe('qdrant 1.19.0');
    expect(accuracy).toEqual({
      dense: { minRecallAt10: RECALL_FLOORS.hnsw },
      sparse: 'exact',
      colbert: 'exact',
      weighted: { minRecallAt10: RECALL_FLOORS.weighted },
      rrf: { minRecallAt10: RECALL_FLOORS.colbertRerank },
      dbsf: { minRecallAt10: RECALL_FLOORS.colbertRerank },
    });
    expect(nativeFusion).toEqual(['weighted', 'rrf', 'dbsf']);
    expect(nativeColbert).toBe(true);
  });

  it('declares exact rank fusions with exact search and a ColBERT scan', () => {
    const { accuracy } = capabilities({ search: { exact: true, colbertCandidates: 'scan' } });
    expect(accuracy.dense).toBe('exact');
    expect(accuracy.rrf).toBe('exact');
    expect(accuracy.dbsf).toBe('exact');
    expect(accuracy.weighted).toEqual({ minRecallAt10: RECALL_FLOORS.weighted });
  });

  it('lowers the floors under quantisation', () => {
    const { accuracy } = capabilities({
      search: { exact: true, colbertCandidates: 'scan' },
      dense: { quantization: true },
      colbert: { quantization: true },
    });
    expect(accuracy.dense).toEqual({ minRecallAt10: RECALL_FLOORS.quantized });
    expect(accuracy.colbert).toEqual({ minRecallAt10: RECALL_FLOORS.quantized });
    expect(accuracy.rrf).not.toBe('exact');
  });

  it('lists only the fusions the server version runs natively', () => {
    expect(capabilities({}, '1.10.0').nativeFusion).toEqual([]);
    expect(capabilities({}, '1.14.0').nativeFusion).toEqual(['weighted', 'dbsf']);
    expect(
      capabilities({ fusion: { weighted: 'client', rrf: 'client', dbsf: 'client' } }, '1.19.0')
        .nativeFusion,
    ).toEqual([]);
  });
});
