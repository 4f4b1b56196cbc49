import { createHash } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 4122 / RFC 9562 name-space ids. */
export const UUID_NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
export const UUID_NAMESPACE_URL = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * The name space m3kit derives Qdrant point ids in: UUID v5 of the URL "https://m3kit.dev/qdrant/point-id".
 * Fixed forever: changing it would give every existing document a new point id.
 */
export const M3KIT_POINT_NAMESPACE = 'a653635c-c142-540e-99aa-b12cdf78cbaa';

/**
 * UUID version 5 (SHA-1, name-based) of `name` (UTF-8) in `namespace`, RFC 9562 section 5.5.
 * Qdrant point ids must be unsigned integers or UUIDs; document ids are arbitrary strings, so the
 * adapter hashes them: the same document id always lands on the same point (idempotent upserts).
 */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID_PATTERN.test(namespace))
    throw new TypeError(`namespace ${JSON.stringify(namespace)} is not a UUID`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Qdrant point id of a document id. */
export function pointIdFor(documentId: string, namespace: string = M3KIT_POINT_NAMESPACE): string {
  return uuidV5(documentId, namespace);
}
