import { InvalidInputError } from '../errors/invalid-input-error.js';

/** What an interrupted run needs to resume: how many input documents are safely written. */
export interface CheckpointState {
  /** Identifies the input and target; a checkpoint for another key is ignored. */
  readonly key: string;
  /** Documents from the start of the input whose every chunk is written. */
  readonly committedDocuments: number;
  readonly committedChunks: number;
  readonly updatedAt: string;
}

export interface IngestCheckpoint {
  load(): Promise<CheckpointState | undefined>;
  save(state: CheckpointState): Promise<void>;
  /** Called after a run that finished: the next run starts over (and re-writes idempotently). */
  clear(): Promise<void>;
}

/** A checkpoint in memory, for tests and for callers that persist it themselves. */
export function memoryCheckpoint(initial?: CheckpointState): IngestCheckpoint & { state: CheckpointState | undefined } {
  return {
    state: initial,
    async load() {
      return this.state;
    },
    async save(state) {
      this.state = state;
    },
    async clear() {
      this.state = undefined;
    },
  };
}

/**
 * A checkpoint in a JSON file, replaced atomically (write a temporary file, then rename), so a
 * crash or kill -9 at any moment leaves either the previous checkpoint or the new one. Node.js only.
 */
export function fileCheckpoint(path: string): IngestCheckpoint {
  // ingest() saves after every write that finishes, and two can finish together: one file
  // operation at a time, in call order (the newest state lands last), each save through its own
  // temporary file.
  let queue: Promise<unknown> = Promise.resolve();
  let saves = 0;
  const serialise = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    async load() {
      const { readFile } = await import('node:fs/promises');
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new InvalidInputError(`cannot read checkpoint ${path}`, { cause: error });
      }
      try {
        return JSON.parse(text) as CheckpointState;
      } catch (error) {
        throw new InvalidInputError(`checkpoint ${path} is not valid JSON; delete it to start over`, { cause: error });
      }
    },
    save(state) {
      return serialise(async () => {
        const { mkdir, rename, writeFile } = await import('node:fs/promises');
        const { dirname } = await import('node:path');
        await mkdir(dirname(path), { recursive: true });
        const temporary = `${path}.${process.pid}.${saves++}.tmp`;
        await writeFile(temporary, JSON.stringify(state));
        await rename(temporary, path);
      });
    },
    clear() {
      return serialise(async () => {
        const { rm } = await import('node:fs/promises');
        await rm(path, { force: true });
      });
    },
  };
}
