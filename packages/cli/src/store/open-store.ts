import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import {
  ExactStore,
  InvalidInputError,
  type CollectionSpec,
  type M3StoreV1,
  type MetadataFieldSpec,
  type Signal,
  type StoreDamage,
} from '@m3kit/core';
import type { StoreTarget } from './store-target.js';

/** What the CLI needs to open a collection: the target and the schema the data has. */
export interface OpenStoreOptions {
  readonly target: StoreTarget;
  readonly denseDimension: number;
  readonly signals?: readonly Signal[];
  readonly metadataFields?: readonly MetadataFieldSpec[];
  /** The model identity the collection records (see model-identity.ts). */
  readonly model?: string;
  readonly storeText?: boolean;
  /** The embedded store's file is read, never created, compacted or written (a reader beside a running ingest). */
  readonly readOnly?: boolean;
  /** The embedded store's file: told of each damaged line skipped (file and byte offset). */
  readonly onDamage?: (message: string) => void;
}

/**
 * Makes the store `--store` names. The adapter packages are imported only when their scheme is
 * used, so `m3 query` on the embedded store never loads three database clients.
 */
export async function openStore(options: OpenStoreOptions): Promise<M3StoreV1> {
  const { target } = options;
  const collection: CollectionSpec = {
    name: target.collection,
    denseDimension: options.denseDimension,
    ...(options.signals ? { signals: options.signals } : {}),
    ...(options.metadataFields && options.metadataFields.length > 0
      ? { metadataFields: options.metadataFields }
      : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.storeText !== undefined ? { storeText: options.storeText } : {}),
  };
  switch (target.kind) {
    case 'memory':
      return new ExactStore({
        collection,
        path: target.path,
        ...(options.readOnly ? { readOnly: true } : {}),
        ...(options.onDamage
          ? { onDamage: (d: StoreDamage) => options.onDamage!(describeDamage(d)) }
          : {}),
      });
    case 'qdrant': {
      const { QdrantStore } = await import('@m3kit/qdrant');
      return new QdrantStore({
        url: target.url,
        ...(target.apiKey ? { apiKey: target.apiKey } : {}),
        collection,
      });
    }
    case 'milvus': {
      const { MilvusStore } = await import('@m3kit/milvus');
      // The Milvus client turns TLS on for an https:// address.
      const address = target.ssl ? `https://${target.address}` : target.address;
      return new MilvusStore({
        address,
        ...(target.token ? { token: target.token } : {}),
        collection,
      });
    }
    case 'elastic': {
      const { ElasticStore } = await import('@m3kit/elastic');
      const auth = target.apiKey
        ? { apiKey: target.apiKey }
        : target.username !== undefined && target.password !== undefined
          ? { username: target.username, password: target.password }
          : undefined;
      return new ElasticStore({ node: target.node, ...(auth ? { auth } : {}), collection });
    }
  }
}

/** A damaged line of the embedded store's file, as a message. */
export function describeDamage(damage: StoreDamage): string {
  return `warning: ${damage.path}: byte offset ${damage.offset}: ${damage.reason}; that write's records are skipped, the rest is read (m3 stats --repair rewrites the file without it)`;
}

/** The schema an embedded store file was created with, read from its first line; undefined when there is no file. */
export async function readExactStoreSchema(
  path: string,
): Promise<{ denseDimension: number; signals: readonly Signal[] } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError(`cannot read the store file ${path}`, { cause: error });
  }
  try {
    // The header is one short JSON line; 64 KiB holds it with room to spare.
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    if (text.trim() === '') return undefined;
    const newline = text.indexOf('\n');
    const header = JSON.parse(newline >= 0 ? text.slice(0, newline) : text) as {
      collection?: { denseDimension?: number; signals?: Signal[] };
    };
    const spec = header.collection;
    if (typeof spec?.denseDimension !== 'number' || !Array.isArray(spec.signals))
      throw new Error('no collection in header');
    return { denseDimension: spec.denseDimension, signals: spec.signals };
  } catch (error) {
    throw new InvalidInputError(`${path} is not an m3kit store file`, { cause: error });
  } finally {
    await handle.close();
  }
}
