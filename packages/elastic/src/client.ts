import { Client } from '@elastic/elasticsearch';
import { InvalidInputError } from '@m3kit/core';
import type { ElasticStoreOptions } from './options.js';

/** One request as the store hands it to the client's transport. */
export interface ElasticTransportRequest {
  readonly method: string;
  readonly path: string;
  readonly querystring?: Record<string, string>;
  readonly body?: Record<string, unknown>;
  readonly bulkBody?: string[];
}

export interface ElasticTransportOptions {
  readonly signal?: AbortSignal;
  readonly headers?: Record<string, string>;
  readonly requestTimeout?: number;
}

/**
 * The part of an `@elastic/elasticsearch` Client the store uses: its transport and close(). A
 * client of major 8 or 9 fits, so the caller picks the major their cluster needs (the 9.x client
 * sends `compatible-with=9` headers an 8.x server refuses; 9.x servers accept the 8.x client's).
 */
export interface ElasticClient {
  readonly transport: {
    request(params: ElasticTransportRequest, options?: ElasticTransportOptions): Promise<unknown>;
  };
  close(): Promise<void>;
}

/** The client the store talks through, and whether the store made it (and so closes it). */
export interface StoreClient<C extends ElasticClient> {
  readonly client: C;
  readonly ownsClient: boolean;
}

/**
 * The caller's client as it is, or one made from `node` (or ES_URL) and `auth` (or ES_API_KEY, or
 * ES_USERNAME + ES_PASSWORD). A client the store makes does not retry: transport.ts does, once.
 */
export function createClient<C extends ElasticClient>(
  options: ElasticStoreOptions<C>,
  timeoutMs: number | undefined,
): StoreClient<C> {
  if (options.client !== undefined) return { client: options.client, ownsClient: false };
  const node = options.node ?? process.env.ES_URL;
  if (!node)
    throw new InvalidInputError(
      'ElasticStore needs a client, a node URL, or ES_URL in the environment',
    );
  const auth = authFromOptions(options.auth);
  // Without a client of the caller's, C is the default (this package's 8.x Client).
  return {
    client: new Client({
      node,
      maxRetries: 0,
      ...(timeoutMs === undefined ? {} : { requestTimeout: timeoutMs }),
      ...(auth ? { auth } : {}),
    }),
    ownsClient: true,
  } as unknown as StoreClient<C>;
}

type Auth = { apiKey: string } | { username: string; password: string };

function authFromOptions(auth: ElasticStoreOptions['auth']): Auth | undefined {
  if (auth !== undefined)
    return 'apiKey' in auth
      ? { apiKey: auth.apiKey }
      : { username: auth.username, password: auth.password };
  const apiKey = process.env.ES_API_KEY;
  if (apiKey) return { apiKey };
  const username = process.env.ES_USERNAME;
  const password = process.env.ES_PASSWORD;
  if (username && password) return { username, password };
  return undefined;
}
