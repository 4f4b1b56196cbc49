import { describe, expect, it } from 'vitest';
import { resolveQdrantOptions } from './options.js';
import { scannedRecords, scrollRequest } from './scan.js';

const keys = resolveQdrantOptions({ collection: { name: 'c', denseDimension: 4 } }).payloadKeys;

describe('scan requests and pages', () => {
  it('asks for the document id and metadata only, from the offset, with the filter', () => {
    const filter = { must: [{ key: 'metadata.lang', match: { value: 'en' } }] };
    expect(scrollRequest(keys, 100, filter, 'a-uuid')).toEqual({
      limit: 100,
      with_payload: ['document_id', 'metadata'],
      with_vector: false,
      filter,
      offset: 'a-uuid',
    });
    expect(scrollRequest(keys, 5, undefined, undefined)).toEqual({
      limit: 5,
      with_payload: ['document_id', 'metadata'],
      with_vector: false,
    });
  });

  it('yields document ids from the payload, never point ids, and leaves out foreign points', () => {
    const records = scannedRecords(
      [
        { payload: { document_id: 'doc-1', metadata: { lang: 'en' } } },
        { payload: { other: 1 } },
        { payload: { document_id: 'doc-2', metadata: ['not', 'an', 'object'] } },
        { payload: null },
      ],
      keys,
    );
    expect(records).toEqual([{ id: 'doc-1', metadata: { lang: 'en' } }, { id: 'doc-2' }]);
  });
});
