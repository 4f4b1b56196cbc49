import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../usage-error.js';

/**
 * One writer per embedded store file: two `m3 ingest` runs appending to the same log would
 * interleave. The lock file holds the owner's pid; a lock whose process is gone (kill -9) is stale
 * and taken over.
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
      throw new UsageError(`another m3 process (pid ${owner}) is writing ${path}; wait for it, or delete ${lock} if it is gone`, {
        command,
      });
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
