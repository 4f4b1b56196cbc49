import type { CheckpointState, IngestCheckpoint } from '@m3kit/core';

/**
 * Runs a checkpoint's saves one at a time and never lets an older state overwrite a newer one.
 * ingest() saves from each finishing write, and two writes can finish together; core's
 * fileCheckpoint writes every save through the same temporary file, so overlapping saves make
 * one rename fail (ENOENT) and end the run. Serialising them here keeps the file consistent.
 */
export function orderedCheckpoint(inner: IngestCheckpoint): IngestCheckpoint {
  let queue: Promise<unknown> = Promise.resolve();
  let newest = -1;
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    load: () => enqueue(() => inner.load()),
    save: (state: CheckpointState) =>
      enqueue(async () => {
        if (state.committedDocuments < newest) return;
        newest = state.committedDocuments;
        await inner.save(state);
      }),
    clear: () =>
      enqueue(async () => {
        newest = -1;
        await inner.clear();
      }),
  };
}
