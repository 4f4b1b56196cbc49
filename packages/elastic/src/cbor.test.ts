import { describe, expect, it } from 'vitest';
import { decodeCbor } from './cbor.js';

const hex = (text: string): Uint8Array =>
  Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('decodeCbor', () => {
  it('decodes an Elasticsearch _mget response with a binary stored field (captured from 8.19.21)', () => {
    const response = hex(`bf64646f63739fbf665f696e646578666d3363626f72635f696465646f632d30
      685f76657273696f6e01675f7365715f6e6f006d5f7072696d6172795f746572
      6d0165666f756e64f5666669656c6473bf67636f6c626572749f585c01010000
      04000000080000005108b5375008b5375108b5375008b537119a980c4f42a51c
      0e5e781a96f550aaf4f2a6e29d956da7daed0c326246244514bca3a7adff0bfe
      ba56cbffde4e3851b6033a9a9a1f4c1d356b7ebb38f7a7beffffffffff`);
    const decoded = decodeCbor(response) as {
      docs: { _id: string; found: boolean; _version: number; fields: { colbert: Uint8Array[] } }[];
    };
    const doc = decoded.docs[0]!;
    expect(doc._id).toBe('doc-0');
    expect(doc.found).toBe(true);
    expect(doc._version).toBe(1);
    const blob = doc.fields.colbert[0]!;
    expect(blob).toBeInstanceOf(Uint8Array);
    expect(blob.byteLength).toBe(92); // 12-byte header + 4 scales + 4 rows x 8 dims x 2 bytes
    expect([...blob.subarray(0, 12)]).toEqual([1, 1, 0, 0, 4, 0, 0, 0, 8, 0, 0, 0]);
  });

  it('decodes definite containers, negative and large integers, floats, simple values and chunked strings', () => {
    // {"a": [1, -2, 1.5, 100000, true, null], "b": "hi" (chunked), "c": h'0102' (chunked), "d": 2^53}
    const bytes = hex(`a4 6161 86 01 21 f93e00 1a000186a0 f5 f6
      6162 7f 6168 6169 ff
      6163 5f 4101 4102 ff
      6164 1b0020000000000000`);
    expect(decodeCbor(bytes)).toEqual({
      a: [1, -2, 1.5, 100000, true, null],
      b: 'hi',
      c: Uint8Array.of(1, 2),
      d: 2n ** 53n,
    });
  });

  it('refuses truncated input', () => {
    expect(() => decodeCbor(hex('a16161'))).toThrow(/truncated/);
  });
});
