import { InvalidInputError } from '@m3kit/core';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';

/** How a store reaches Milvus: your own client, or an address it opens a client for. */
export interface MilvusConnection {
  /** Your own client; the store never closes it. Without it, `address` (or MILVUS_ADDRESS) is used. */
  readonly client?: MilvusClient;
  /** `host:port` (or `unix:/path.sock` for a Milvus Lite socket); default: env MILVUS_ADDRESS. */
  readonly address?: string;
  /** Default: env MILVUS_TOKEN. Never logged. */
  readonly token?: string;
  readonly database?: string;
}

export interface OpenedClient {
  readonly client: MilvusClient;
  /** Whether the store opened it (and so closes it). */
  readonly owned: boolean;
}

/** The caller's client, or a new one from the address, token and database (options, then environment). */
export function openClient(
  connection: MilvusConnection,
  timeoutMs: number | undefined,
): OpenedClient {
  if (connection.client !== undefined) return { client: connection.client, owned: false };
  const address = connection.address ?? process.env['MILVUS_ADDRESS'];
  if (address === undefined || address.length === 0) {
    throw new InvalidInputError(
      'MilvusStore needs a client, an address, or MILVUS_ADDRESS in the environment',
    );
  }
  const token = connection.token ?? process.env['MILVUS_TOKEN'];
  const client = new MilvusClient({
    address,
    ...(token ? { token } : {}),
    ...(connection.database ? { database: connection.database } : {}),
    ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
    logLevel: 'error',
  });
  return { client, owned: true };
}
