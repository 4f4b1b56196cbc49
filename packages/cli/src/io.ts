import type { Readable, Writable } from 'node:stream';

/** A writable terminal-ish stream: process.stdout in the binary, a buffer in tests. */
export type OutputStream = Writable & { readonly isTTY?: boolean; readonly columns?: number };

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Fires on Ctrl-C (the binary wires SIGINT to it). */
  readonly signal?: AbortSignal;
}

/**
 * Writes one line and waits for the stream to drain when its buffer is full, so a slow reader
 * (`m3 embed ... | gzip`) holds the producer back instead of letting output pile up in memory.
 */
export async function writeLine(stream: Writable, line: string): Promise<void> {
  if (stream.write(`${line}\n`)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', fail);
      stream.off('close', done);
      resolve();
    };
    const fail = (error: Error): void => {
      stream.off('drain', done);
      stream.off('close', done);
      reject(error);
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', fail);
  });
}
