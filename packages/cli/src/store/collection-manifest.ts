import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MetadataFieldSpec, Signal } from '@m3kit/core';
import type { StoreTarget } from './store-target.js';

/**
 * What `m3 ingest` created a server collection with, remembered in the data dir, so `m3 query`
 * and `m3 stats` open it with the same schema without repeating --field and --signals (the
 * adapters compare the schema and refuse a different one). The embedded store keeps its schema in
 * its own file and needs none of this.
 */
export interface CollectionManifest {
  readonly store: string;
  readonly collection: string;
  readonly denseDimension: number;
  readonly signals: readonly Signal[];
  readonly metadataFields: readonly MetadataFieldSpec[];
  readonly model: string;
  readonly updatedAt: string;
}

function manifestPath(dataDir: string, target: StoreTarget): string {
  const key = createHash('sha256')
    .update(`${target.display}\n${target.collection}`)
    .digest('hex')
    .slice(0, 24);
  return join(dataDir, 'collections', `${key}.json`);
}

export async function readManifest(
  dataDir: string,
  target: StoreTarget,
): Promise<CollectionManifest | undefined> {
  try {
    const manifest = JSON.parse(
      await readFile(manifestPath(dataDir, target), 'utf8'),
    ) as CollectionManifest;
    return manifest.store === target.display && manifest.collection === target.collection
      ? manifest
      : undefined;
  } catch {
    return undefined; // none yet, or unreadable: the flags (or the adapter's mismatch message) decide
  }
}

export async function writeManifest(
  dataDir: string,
  target: StoreTarget,
  manifest: Omit<CollectionManifest, 'store' | 'collection' | 'updatedAt'>,
): Promise<void> {
  const path = manifestPath(dataDir, target);
  await mkdir(dirname(path), { recursive: true });
  const body: CollectionManifest = {
    store: target.display,
    collection: target.collection,
    ...manifest,
    updatedAt: new Date().toISOString(),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`);
  await rename(temporary, path);
}

/** Forgets the schema of a dropped collection, so a later ingest of that name infers it afresh. */
export async function removeManifest(dataDir: string, target: StoreTarget): Promise<void> {
  await rm(manifestPath(dataDir, target), { force: true });
}
