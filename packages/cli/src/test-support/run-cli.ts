import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../main.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const TINY_MODEL = join(REPO_ROOT, 'fixtures', 'tiny-m3');
export const SAMPLE = join(REPO_ROOT, 'examples', 'data', 'sample.jsonl');
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

class Capture extends PassThrough {
  text = '';
  isTTY: boolean;
  columns: number;
  constructor(isTTY = false, columns = 160) {
    super();
    this.isTTY = isTTY;
    this.columns = columns;
    this.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
    });
  }
}

/** Runs the CLI in this process, with its own streams, directory and environment. */
export async function runInProcess(
  argv: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    stdin?: string | Buffer;
    tty?: boolean;
    signal?: AbortSignal;
  },
): Promise<RunResult> {
  const stdout = new Capture();
  const stderr = new Capture(options.tty ?? false);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await runCli(argv, {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the built binary as a child process. */
export function runBinary(
  argv: readonly string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }),
    );
    child.stdin.end(options.stdin ?? '');
  });
}

/** A fresh temporary directory, removed by the returned function. */
export function temporaryDirectory(prefix = 'm3cli-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A running binary: its process, and the run's end (with the signal that ended it, if any). */
export interface StartedBinary {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult & { readonly signal: NodeJS.Signals | null }>;
}

/**
 * Starts the built binary and calls `onStderrLine` with each whole line of its stderr as it comes
 * (progress lines, notes): a test acts on what the run reports it has done (kill it after the k-th
 * written batch, drop its collection after the first), never on a timer.
 */
export function startBinary(
  argv: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    onStderrLine?: (line: string, child: ChildProcess) => void;
  },
): StartedBinary {
  const child = spawn(process.execPath, [BIN, ...argv], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stderr += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onStderrLine?.(line, child);
  });
  child.stdin?.end('');
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 : -1), signal, stdout, stderr }),
    );
  });
  return { child, done };
}

/**
 * Counts the batches a run reports written: `m3 ingest --progress-interval 0` prints a progress
 * line after every encoded and every written batch; a written one raises "N chunks written".
 * Returns a line handler that calls `onWritten(k, child)` for the k-th written batch (1-based).
 */
export function onWrittenBatch(
  onWritten: (k: number, child: ChildProcess) => void,
): (line: string, child: ChildProcess) => void {
  let chunksWritten = 0;
  let batches = 0;
  return (line, child) => {
    const match = /^progress: .*?([\d,]+) chunks written/.exec(line);
    if (!match) return;
    const now = Number(match[1]!.replaceAll(',', ''));
    if (now <= chunksWritten) return;
    chunksWritten = now;
    onWritten(++batches, child);
  };
}

/** A small seeded generator (mulberry32): the same seed picks the same kill moments on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
