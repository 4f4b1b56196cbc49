import { createHash } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StoreTarget } from './store-target.js';

/** What a checkpoint's key names: the input (an absolute path, or - for stdin) and the target. */
interface CheckpointKey {
  readonly input: string;
  readonly store: string;
  readonly collection: string;
}

function checkpointFolder(dataDir: string): string {
  return join(dataDir, 'checkpoints');
}

/**
 * Where `m3 ingest` keeps the checkpoint of one input into one collection, and the key the
 * checkpoint must hold to be resumed (a file left by another input or target is ignored).
 */
export function ingestCheckpointLocation(dataDir: string, input: string, target: StoreTarget): { key: string; path: string } {
  const fields: CheckpointKey = { input, store: target.display, collection: target.collection };
  const key = JSON.stringify(fields);
  const name = `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.json`;
  return { key, path: join(checkpointFolder(dataDir), name) };
}

/**
 * Deletes the checkpoints of every input into this collection, so the next `m3 ingest` after
 * `m3 drop` writes everything again instead of skipping documents that are gone. The file names
 * are hashes that include the input, so each file's key is read to find them. Returns how many.
 */
export async function removeIngestCheckpoints(dataDir: string, target: StoreTarget): Promise<number> {
  const folder = checkpointFolder(dataDir);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const key = await readKey(join(folder, name));
    if (key?.store === target.display && key.collection === target.collection) {
      await rm(join(folder, name), { force: true });
      removed++;
    }
  }
  return removed;
}

async function readKey(path: string): Promise<Partial<CheckpointKey> | undefined> {
  try {
    const state = JSON.parse(await readFile(path, 'utf8')) as { key?: unknown };
    return typeof state.key === 'string' ? (JSON.parse(state.key) as Partial<CheckpointKey>) : undefined;
  } catch {
    return undefined; // unreadable or not ours: leave it alone
  }
}
