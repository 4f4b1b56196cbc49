import { spawn } from 'node:child_process';
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
