import { Client } from '@elastic/elasticsearch';
import { InvalidInputError } from '@m3kit/core';
import type { ElasticStoreOptions } from './options.js';

/** The client the store talks through, and whether the store made it (and so closes it). */
export interface StoreClient {
  readonly client: Client;
  readonly ownsClient: boolean;
}

/**
 * The caller's client as it is, or one made from `node` (or ES_URL) and `auth` (or ES_API_KEY, or
 * ES_USERNAME + ES_PASSWORD). A client the store makes does not retry: transport.ts does, once.
 */
export function createClient(options: ElasticStoreOptions, timeoutMs: number | undefined): StoreClient {
  if (options.client !== undefined) return { client: options.client, ownsClient: false };
  const node = options.node ?? process.env.ES_URL;
  if (!node) throw new InvalidInputError('ElasticStore needs a client, a node URL, or ES_URL in the environment');
  const auth = authFromOptions(options.auth);
  return {
    client: new Client({ node, maxRetries: 0, ...(timeoutMs === undefined ? {} : { requestTimeout: timeoutMs }), ...(auth ? { auth } : {}) }),
    ownsClient: true,
  };
}

type Auth = { apiKey: string } | { username: string; password: string };

function authFromOptions(auth: ElasticStoreOptions['auth']): Auth | undefined {
  if (auth !== undefined) return 'apiKey' in auth ? { apiKey: auth.apiKey } : { username: auth.username, password: auth.password };
  const apiKey = process.env.ES_API_KEY;
  if (apiKey) return { apiKey };
  const username = process.env.ES_USERNAME;
  const password = process.env.ES_PASSWORD;
  if (username && password) return { username, password };
  return undefined;
}
