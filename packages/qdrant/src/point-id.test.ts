import { describe, expect, it } from 'vitest';
import {
  M3KIT_POINT_NAMESPACE,
  UUID_NAMESPACE_DNS,
  UUID_NAMESPACE_URL,
  pointIdFor,
  uuidV5,
} from './point-id.js';

describe('uuidV5', () => {
  it('matches the RFC 9562 test vector (www.example.com in the DNS name space)', () => {
    // RFC 9562, Appendix A.4 (the corrected form of RFC 4122's example).
    expect(uuidV5('www.example.com', UUID_NAMESPACE_DNS)).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('matches Python uuid.uuid5 for a URL name', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_URL, 'https://m3kit.dev/qdrant/point-id'))"
    expect(M3KIT_POINT_NAMESPACE).toBe('a653635c-c142-540e-99aa-b12cdf78cbaa');
    expect(uuidV5('https://m3kit.dev/qdrant/point-id', UUID_NAMESPACE_URL)).toBe(
      M3KIT_POINT_NAMESPACE,
    );
    expect(M3KIT_POINT_NAMESPACE).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('hashes names as UTF-8', () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'straße-日本'))"
    expect(uuidV5('straße-日本', UUID_NAMESPACE_DNS)).toBe(PYTHON_UTF8_VECTOR);
  });

  it('rejects a name space that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/not a UUID/);
  });
});

describe('pointIdFor', () => {
  it('is deterministic and distinct per document id', () => {
    expect(pointIdFor('doc-1')).toBe(pointIdFor('doc-1'));
    expect(pointIdFor('doc-1')).not.toBe(pointIdFor('doc-2'));
    expect(pointIdFor('doc-1', UUID_NAMESPACE_DNS)).not.toBe(pointIdFor('doc-1'));
  });
});

const PYTHON_UTF8_VECTOR = '6d3f6909-6f3f-5b10-9965-d62c45eaf9ec';
