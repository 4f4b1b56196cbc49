import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../usage-error.js';

/**
 * One process at a time per embedded store file: two `m3 ingest` runs appending to the same log
 * would interleave, and opening the store may compact (rewrite) the file under a running ingest,
 * so `m3 query` and `m3 stats` take the lock too (briefly). The lock file holds the owner's pid; a
 * lock whose process is gone (kill -9) is stale and taken over.
 */
export async function lockStoreFile(path: string, command: string): Promise<() => Promise<void>> {
  const lock = `${path}.lock`;
  await mkdir(dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      return async () => {
        await rm(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new UsageError(
        `another m3 process (pid ${owner}) is using ${path}; wait for it, or delete ${lock} if it is gone`,
        {
          command,
        },
      );
    }
    await rm(lock, { force: true });
  }
  throw new UsageError(`cannot lock ${path}`, { command });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
