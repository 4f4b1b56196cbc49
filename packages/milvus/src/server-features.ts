import { request, type RequestContext } from './transport.js';

/**
 * What the Milvus server can and cannot be trusted to do, in one place. Tested against Milvus Lite
 * 2.5.1 (README "Versions"); a Milvus 2.5/2.6 server behaves the same for all of these.
 */

/** Milvus' cap on `limit` (topK) for search and query, and on `offset + limit` of a query. */
export const MILVUS_MAX_LIMIT = 16_384;

/** RRFRanker takes an integer k from 1 to 16,383; other k are fused on the client. */
export function serverTakesRrfK(k: number): boolean {
  return Number.isInteger(k) && k >= 1 && k < 16_384;
}

/**
 * Whether a collection exists. Not `hasCollection`: the SDK answers it from DescribeCollection's
 * `error_code` alone, which Milvus Lite sets to "Success" even for a missing collection (its
 * `code` says 100), so it always says yes there.
 */
export async function collectionExists(context: RequestContext, name: string): Promise<boolean> {
  const response = await request(context, 'list collections', () =>
    context.client.listCollections(),
  );
  const names = (response.data ?? []).map((c) => c.name);
  return names.includes(name);
}
