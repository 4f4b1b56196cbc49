import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../usage-error.js';
import { readLines } from './line-reader.js';

/** One `{"id", "text"}` input line of `m3 tokenize` / `m3 embed`. */
export interface TextItem {
  /** The line's `id` as given (string or number); the line number when it has none. */
  readonly id: string | number;
  readonly text: string;
  readonly line: number;
}

/**
 * Reads `{"id", "text"}` lines from a file or stdin, in windows of at most `window` items so
 * memory stays flat. Bad lines go to `onSkip` with their line number and are left out.
 */
export async function* readTextItems(
  options: {
    readonly path: string | undefined;
    readonly stdin: Readable;
    readonly cwd: string;
    readonly command: string;
    readonly onSkip: (line: number, message: string) => void;
  },
  window: number,
): AsyncGenerator<TextItem[]> {
  let stream: Readable = options.stdin;
  if (options.path !== undefined && options.path !== '-') {
    const path = isAbsolute(options.path) ? options.path : resolve(options.cwd, options.path);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile())
      throw new UsageError(`${options.path}: no such file`, { command: options.command });
    stream = createReadStream(path);
  }
  let batch: TextItem[] = [];
  for await (const line of readLines(stream)) {
    if (line.text === undefined) {
      options.onSkip(line.number, line.error);
      continue;
    }
    if (line.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch (error) {
      options.onSkip(
        line.number,
        `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      );
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      options.onSkip(line.number, 'not a JSON object');
      continue;
    }
    const record = value as { id?: unknown; text?: unknown };
    if (typeof record.text !== 'string') {
      options.onSkip(line.number, 'no "text" string');
      continue;
    }
    const id =
      typeof record.id === 'string' || (typeof record.id === 'number' && Number.isFinite(record.id))
        ? record.id
        : line.number;
    batch.push({ id, text: record.text, line: line.number });
    if (batch.length >= window) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * `readTextItems` for a command: skipped lines are noted on stderr as `file:line: reason` and
 * counted, so the command can exit with the "some skipped" code.
 */
export function readCommandTextItems(
  context: {
    readonly io: { readonly stdin: Readable };
    readonly cwd: string;
    note(line: string): void;
  },
  command: string,
  source: string,
  window: number,
): { readonly windows: AsyncGenerator<TextItem[]>; skipped(): number } {
  let skipped = 0;
  const windows = readTextItems(
    {
      path: source,
      stdin: context.io.stdin,
      cwd: context.cwd,
      command,
      onSkip: (line, message) => {
        skipped++;
        context.note(`skipped: ${source === '-' ? '<stdin>' : source}:${line}: ${message}`);
      },
    },
    window,
  );
  return { windows, skipped: () => skipped };
}
