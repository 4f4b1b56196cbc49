import { runStoreConformance } from '@m3kit/core/conformance';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { afterAll } from 'vitest';
import { MilvusStore } from './milvus-store.js';

const address = process.env['MILVUS_ADDRESS'];
const client = address
  ? new MilvusClient({ address, token: process.env['MILVUS_TOKEN'] ?? '', logLevel: 'error' })
  : undefined;

afterAll(async () => {
  await client?.closeConnection();
});

runStoreConformance({
  name: 'milvus',
  skipReason: address ? undefined : 'MILVUS_ADDRESS not set',
  create: async (spec) => new MilvusStore({ client: client!, collection: spec }),
});
