import { describe, expect, it } from 'vitest';
import { atLeast, featuresFrom } from './server-features.js';

describe('cluster features', () => {
  it('compares versions numerically', () => {
    expect(atLeast('8.19.21', '8.18')).toBe(true);
    expect(atLeast('8.9.0', '8.18')).toBe(false);
    expect(atLeast('9.0.0-SNAPSHOT', '8.18')).toBe(true);
    expect(atLeast('8.15.0', '8.15')).toBe(true);
  });

  it('the integ-test-zip (basic licence, no rank modules) has kNN extras but no native fusion or rank_vectors', () => {
    const features = featuresFrom(
      '8.19.21',
      ['apm', 'transport-netty4', 'x-pack-core', 'x-pack-security'],
      'basic',
    );
    expect(features).toMatchObject({
      rankVectors: false,
      rrfRetriever: false,
      linearRetriever: false,
      sparseVectorQuery: true,
      bbq: true,
      knnRescoreVector: true,
    });
  });

  it('a full distribution needs an Enterprise or trial licence for rank_vectors and retrievers', () => {
    const modules = ['rank-rrf', 'rank-vectors', 'x-pack-core'];
    expect(featuresFrom('8.19.0', modules, 'basic').rankVectors).toBe(false);
    expect(featuresFrom('8.19.0', modules, 'enterprise')).toMatchObject({
      rankVectors: true,
      rrfRetriever: true,
      linearRetriever: true,
    });
    expect(featuresFrom('8.17.0', modules, 'trial')).toMatchObject({
      rankVectors: false,
      rrfRetriever: true,
      linearRetriever: false,
    });
  });

  it('an unknown version enables nothing', () => {
    expect(featuresFrom('unknown', ['rank-rrf'], 'enterprise')).toMatchObject({
      rrfRetriever: false,
      sparseVectorQuery: false,
    });
  });
});
