import { createServer, connect, type AddressInfo } from 'node:net';
import type { CollectionSpec, M3StoreV1 } from '@m3kit/core';
import { ElasticStore, type ColbertEncoding } from '@m3kit/elastic';
import type { StorageStats } from './index.js';

// M3KIT_ES_DENSE_INDEX=flat|hnsw|int8_hnsw|bbq_hnsw, M3KIT_ES_SCORING=exact|server and
// M3KIT_ES_COLBERT=int8|int16|float32 pick the setup.
const denseIndex = (process.env['M3KIT_ES_DENSE_INDEX'] ?? 'int8_hnsw') as 'int8_hnsw';
const scoring = (process.env['M3KIT_ES_SCORING'] ?? 'exact') as 'exact';
const colbertEncoding = (process.env['M3KIT_ES_COLBERT'] ?? 'int8') as ColbertEncoding;

let received = 0;
let sent = 0;
let proxied: string | undefined;

/**
 * A byte-counting TCP relay in front of the node, so the bench reports what a query really moves
 * over the wire (requests and responses, HTTP headers included).
 */
async function countingProxy(target: string): Promise<string> {
  const { hostname, port } = new URL(target);
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    client.on('data', (chunk: Buffer) => (sent += chunk.byteLength));
    upstream.on('data', (chunk: Buffer) => (received += chunk.byteLength));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Bytes sent to and received from Elasticsearch so far through the relay. */
export function wireBytes(): number {
  return received + sent;
}

export function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return createStoreWith(spec, colbertEncoding);
}

/** A store of the given ColBERT encoding (bench backend `elastic-int16` is the old default). */
export async function createStoreWith(
  spec: CollectionSpec,
  encoding: ColbertEncoding,
): Promise<M3StoreV1> {
  if (!process.env['ES_URL']) throw new Error('set ES_URL to benchmark Elasticsearch');
  proxied ??= await countingProxy(process.env['ES_URL']);
  return new ElasticStore({
    node: proxied,
    collection: spec,
    denseIndex: { type: denseIndex },
    scoring,
    colbertEncoding: encoding,
    indexSettings: { number_of_shards: 1, number_of_replicas: 0 },
  });
}

/**
 * The index's own accounting: `_disk_usage` (per field, after a flush) for the ColBERT stored
 * field, `_stats` for the whole store.
 */
export async function storageStats(spec: CollectionSpec): Promise<StorageStats> {
  const url = process.env['ES_URL']!;
  const call = async (path: string, method = 'GET'): Promise<Record<string, unknown>> => {
    const response = await fetch(`${url}/${spec.name}${path}`, { method });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  await call('/_flush', 'POST');
  const stats = (await call('/_stats/store')) as {
    _all: { primaries: { store: { size_in_bytes: number } } };
  };
  const usage = (await call('/_disk_usage?run_expensive_tasks=true', 'POST')) as Record<
    string,
    { fields?: Record<string, { total_in_bytes?: number }> }
  >;
  const fields = Object.values(usage).find((v) => v?.fields !== undefined)?.fields ?? {};
  return {
    totalBytes: stats._all.primaries.store.size_in_bytes,
    colbertBytes: fields['colbert']?.total_in_bytes,
    source: 'Elasticsearch _stats/store and _disk_usage (field colbert)',
  };
}

export function describe(): string {
  return `elasticsearch at ${process.env['ES_URL'] ?? '(ES_URL not set)'} (${denseIndex} dense, sparse_vector, ${colbertEncoding} ColBERT rescored on the client; ${scoring} scoring)`;
}
