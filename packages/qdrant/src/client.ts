import { InvalidInputError } from '@m3kit/core';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { QdrantStoreOptions, ResolvedQdrantOptions } from './options.js';

/**
 * The store's own REST client when the caller passes none: `url` (or QDRANT_URL) and `apiKey`
 * (or QDRANT_API_KEY). The key is handed to the client only, never logged or put in a message.
 */
export function makeClient(
  options: Pick<QdrantStoreOptions, 'url' | 'apiKey' | 'keepAlive'>,
  resolved: Pick<ResolvedQdrantOptions, 'timeoutMs'>,
): QdrantClient {
  const url = options.url ?? process.env['QDRANT_URL'];
  if (!url) {
    throw new InvalidInputError('qdrant: pass `client` or `url`, or set QDRANT_URL');
  }
  const apiKey = options.apiKey ?? process.env['QDRANT_API_KEY'];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidInputError(`qdrant: url is not a URL`, { cause: error });
  }
  // The client drops a URL's path unless it is passed as `prefix` (e.g. behind a reverse proxy).
  const prefix = parsed.pathname.replace(/\/+$/, '');
  return new QdrantClient({
    url: `${parsed.protocol}//${parsed.host}`,
    ...(prefix ? { prefix } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(resolved.timeoutMs !== undefined ? { timeout: resolved.timeoutMs } : {}),
    ...(options.keepAlive === false ? { headers: { connection: 'close' } } : {}),
    checkCompatibility: false,
  });
}
