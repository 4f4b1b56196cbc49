import { InvalidInputError, resolveCollectionSpec, type M3Record } from '@m3kit/core';
import { syntheticCorpus } from '@m3kit/core/testing';
import { describe, expect, it } from 'vitest';
import { bulkItemError } from './errors.js';
import { FIELDS } from './schema.js';
import { prepareDeletes, prepareUpserts } from './write-batches.js';

const collection = resolveCollectionSpec({
  name: 'write_batches',
  denseDimension: 16,
  metadataFields: [{ name: 'year', type: 'integer' }],
});
const layout = {
  spec: collection,
  dense: { type: 'int8_hnsw' as const },
  colbertEncoding: 'int16' as const,
  colbertMean: true,
};
const [first, second, third] = syntheticCorpus({ documents: 3, queries: 1, dimension: 16, seed: 3 })
  .records as M3Record[];

function sourceOf(lines: string): Record<string, unknown> {
  return JSON.parse(lines.split('\n')[1]!) as Record<string, unknown>;
}

describe('prepareUpserts', () => {
  it('sends an id given twice once, with its last version (two operations raced in concurrent bulk requests)', () => {
    const v2 = { ...first!, text: 'second version' };
    const prepared = prepareUpserts([first!, second!, v2], collection, layout);
    expect(prepared.items.map((operation) => operation.id)).toEqual([second!.id, first!.id]);
    expect(sourceOf(prepared.items[1]!.value.lines)[FIELDS.text]).toBe('second version');
    expect(prepared.failed).toEqual([]);
  });

  it('lets an invalid last occurrence decide: the id fails once and its earlier version is not sent', () => {
    const broken = { ...first!, metadata: { year: 'not a number' } };
    const prepared = prepareUpserts([first!, third!, broken], collection, layout);
    expect(prepared.items.map((operation) => operation.id)).toEqual([third!.id]);
    expect(prepared.failed.map((failure) => failure.id)).toEqual([first!.id]);
    expect(InvalidInputError.isInstance(prepared.failed[0]!.error)).toBe(true);
  });

  it('fails per record, with the reason: a long id, too many metadata fields, a type that drifts from the declared one', () => {
    const longId = { ...second!, id: 'x'.repeat(513) };
    const manyFields = {
      ...third!,
      metadata: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])),
    };
    const drifted = { ...first!, metadata: { year: '2020' } };
    const prepared = prepareUpserts([longId, manyFields, drifted, second!], collection, layout);
    expect(prepared.items.map((operation) => operation.id)).toEqual([second!.id]);
    expect(prepared.failed.map((failure) => failure.error.message)).toEqual([
      expect.stringContaining('longer than 512 bytes'),
      expect.stringContaining('more than 256 fields'),
      expect.stringContaining('declared integer'),
    ]);
    prepared.failed.forEach((failure) => {
      expect(InvalidInputError.isInstance(failure.error)).toBe(true);
    });
  });
});

describe('prepareDeletes', () => {
  it('deletes each id once and fails a malformed id alone', () => {
    const prepared = prepareDeletes(['a', 'b', 'a', '']);
    expect(prepared.items.map((operation) => operation.id)).toEqual(['a', 'b']);
    expect(prepared.failed.map((failure) => failure.id)).toEqual(['']);
  });
});

describe('bulkItemError', () => {
  it("makes a 400 the document's own problem (InvalidInputError naming the id), other statuses backend errors", () => {
    const refused = bulkItemError(
      400,
      { type: 'document_parsing_exception', reason: 'immense term' },
      'doc-1',
    );
    expect(InvalidInputError.isInstance(refused)).toBe(true);
    expect(refused.message).toContain('doc-1');
    expect(refused.message).toContain('document_parsing_exception');
    expect(
      InvalidInputError.isInstance(bulkItemError(500, { type: 'x', reason: 'y' }, 'doc-1')),
    ).toBe(false);
  });
});
