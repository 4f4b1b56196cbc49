import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExactStore, type CollectionSpec, type M3StoreV1 } from '@m3kit/core';
import type { StorageStats } from './index.js';

// The embedded default as the CLI uses it: a store file, ColBERT rows kept as int8
// (M3KIT_EXACT_COLBERT=float32 for the bit-exact form).
const storage = (process.env['M3KIT_EXACT_COLBERT'] ?? 'int8') as 'int8' | 'float32';
const directory = mkdtempSync(join(tmpdir(), 'm3bench-exact-'));
process.on('exit', () => rmSync(directory, { recursive: true, force: true }));

export async function createStore(spec: CollectionSpec): Promise<M3StoreV1> {
  return new ExactStore({
    collection: spec,
    path: join(directory, `${spec.name}.m3store`),
    colbertStorage: storage,
  });
}

/** The store file's size (after the writes: append-only lines, base64 in JSON). */
export async function storageStats(spec: CollectionSpec): Promise<StorageStats> {
  return {
    totalBytes: statSync(join(directory, `${spec.name}.m3store`)).size,
    source: `store file size (${storage} ColBERT rows, base64 in JSON lines)`,
  };
}

export function describe(): string {
  return `exact store with a file (${storage} ColBERT rows in memory and in the file)`;
}
