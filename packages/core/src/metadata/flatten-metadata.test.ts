import { InvalidInputError } from '../errors/invalid-input-error.js';
import { describe, expect, it } from 'vitest';
import { flattenMetadata as toM3Metadata } from './flatten-metadata.js';

describe('framework metadata to m3kit metadata', () => {
  it('keeps storable values and flattens nested objects with _', () => {
    const at = new Date('2024-05-01T00:00:00.000Z');
    expect(
      toM3Metadata(
        {
          source: 'a.txt',
          page: 3,
          ok: true,
          none: null,
          tags: ['x'],
          loc: { lines: { from: 1, to: 9 } },
          at,
        },
        'doc',
      ),
    ).toEqual({
      source: 'a.txt',
      page: 3,
      ok: true,
      none: null,
      tags: ['x'],
      loc_lines_from: 1,
      loc_lines_to: 9,
      at: '2024-05-01T00:00:00.000Z',
    });
  });

  it('refuses values no backend can index, naming the document and key', () => {
    expect(() => toM3Metadata({ scores: [1, 2] }, 'doc-7')).toThrow(
      /metadata "scores".*item: doc-7/,
    );
    expect(() => toM3Metadata({ 'a.b': 1 }, 'doc-7')).toThrow(InvalidInputError);
    expect(() => toM3Metadata({ n: Number.NaN }, 'doc-7')).toThrow(/metadata "n"/);
  });
});
