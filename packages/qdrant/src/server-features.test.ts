import { describe, expect, it } from 'vitest';
import { resolveQdrantOptions } from './options.js';
import { featuresForVersion, parseVersion, requireStorageSupport } from './server-features.js';

describe('server version features', () => {
  it('parses versions with or without v and suffixes', () => {
    expect(parseVersion('1.19.0')).toEqual({ major: 1, minor: 19, patch: 0 });
    expect(parseVersion('v1.16.2-dev')).toEqual({ major: 1, minor: 16, patch: 2 });
    expect(parseVersion('nightly')).toBeUndefined();
  });

  it('turns features on at the versions that introduced them', () => {
    expect(featuresForVersion('1.9.7')).toMatchObject({
      queryApi: false,
      dbsf: false,
      formula: false,
      rrfK: false,
    });
    expect(featuresForVersion('1.10.0')).toMatchObject({
      queryApi: true,
      dbsf: false,
      formula: false,
      rrfK: false,
    });
    expect(featuresForVersion('1.11.0')).toMatchObject({
      queryApi: true,
      dbsf: true,
      formula: false,
      rrfK: false,
    });
    expect(featuresForVersion('1.14.1')).toMatchObject({ formula: true, rrfK: false });
    expect(featuresForVersion('1.15.5')).toMatchObject({ rrfK: false, collectionMetadata: false });
    expect(featuresForVersion('1.16.0')).toMatchObject({
      formula: true,
      rrfK: true,
      collectionMetadata: true,
    });
    expect(featuresForVersion('2.0.0')).toMatchObject({
      queryApi: true,
      dbsf: true,
      formula: true,
      rrfK: true,
    });
  });

  it('refuses TurboQuant storage on a server before 1.19', () => {
    const options = resolveQdrantOptions({
      collection: { name: 'c', denseDimension: 8 },
      colbert: { datatype: 'turbo4' },
    });
    expect(() => requireStorageSupport(featuresForVersion('1.18.2'), options)).toThrow(
      /TurboQuant needs Qdrant >= 1.19/,
    );
    expect(() => requireStorageSupport(featuresForVersion('1.19.0'), options)).not.toThrow();
  });
});
