import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { BGE_M3_DENSE_DIMENSION, InvalidInputError, type M3EncoderV1 } from '@m3kit/core';
import { UsageError } from './usage-error.js';

export const DEFAULT_MODEL = 'BAAI/bge-m3';

/** What `--model` named: a local directory or a Hugging Face repository id. */
export type ModelRef =
  | { readonly kind: 'directory'; readonly path: string; readonly display: string }
  | { readonly kind: 'hub'; readonly id: string; readonly display: string };

/**
 * Resolves `--model` (or M3_MODEL, or BAAI/bge-m3). A path that exists wins over a hub id of the
 * same shape (`fixtures/tiny-m3` is both), so a local directory is never downloaded by accident.
 */
export function resolveModelRef(
  value: string | undefined,
  env: CliEnv,
  cwd: string,
  command: string,
): ModelRef {
  const given = value ?? env.M3_MODEL ?? DEFAULT_MODEL;
  const path = isAbsolute(given) ? given : resolve(cwd, given);
  if (existsSync(path)) {
    if (!statSync(path).isDirectory() && !path.endsWith('.onnx')) {
      throw new UsageError(`--model ${given} is a file; give the model directory`, { command });
    }
    return { kind: 'directory', path, display: given };
  }
  if (
    /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(given) &&
    !given.startsWith('.') &&
    !given.includes('..')
  ) {
    return { kind: 'hub', id: given, display: given };
  }
  throw new UsageError(
    `--model ${given}: no such directory, and not a Hugging Face model id like BAAI/bge-m3`,
    { command },
  );
}

export type CliEnv = Readonly<Record<string, string | undefined>>;

/**
 * The model's dense dimension without loading it, for commands that only open a store: the
 * `hidden_size` of the model directory's config.json, or BGE-M3's 1024.
 */
export function modelDimension(ref: ModelRef): number {
  if (ref.kind === 'directory') {
    for (const candidate of [
      join(ref.path, 'config.json'),
      join(ref.path, 'onnx', 'config.json'),
    ]) {
      try {
        const config = JSON.parse(readFileSync(candidate, 'utf8')) as { hidden_size?: unknown };
        if (typeof config.hidden_size === 'number') return config.hidden_size;
      } catch {
        // no config here: try the next place, then fall back to BGE-M3's size
      }
    }
  }
  return BGE_M3_DENSE_DIMENSION;
}

export interface OpenEncoderOptions {
  readonly maxLength?: number;
  readonly threads?: number;
  readonly signal?: AbortSignal;
  /** Download progress and other notes, one line each (stderr). */
  readonly onNote?: (line: string) => void;
}

/** Loads the encoder the reference names. The encoder package is imported only when a command needs it. */
export async function openEncoder(
  ref: ModelRef,
  options: OpenEncoderOptions = {},
): Promise<M3EncoderV1> {
  const { M3Encoder, ModelDownloadError } = await import('@m3kit/encoder');
  try {
    return await loadEncoder(M3Encoder, ref, options);
  } catch (error) {
    if (ref.kind === 'hub' && ModelDownloadError.isInstance(error)) throw hubAdvice(ref.id, error);
    throw error;
  }
}

/**
 * The encoder's download error speaks to library users (`M3Encoder.load(dir)`, `cacheDir`); on
 * the command line the same way out is `--model DIR` or the environment, so say that instead.
 */
function hubAdvice(id: string, error: Error & { readonly offline: boolean }): InvalidInputError {
  const reason = error.message.split(/\.? To run without the hub/)[0]!;
  const advice = error.offline
    ? ` Without the hub, give a local copy of the model: --model DIR (or M3_MODEL=DIR), a directory in ${id}'s layout` +
      ` (onnx/model.onnx + model.onnx_data, colbert_linear.pt, sparse_linear.pt, tokenizer.json),` +
      ` e.g. made by \`huggingface-cli download ${id} --local-dir DIR\` on a machine that is online;` +
      ` or set M3KIT_CACHE to a model cache that already holds it (default ~/.cache/m3kit).`
    : '';
  return new InvalidInputError(`${reason}.${advice}`, { cause: error });
}

type EncoderClass = typeof import('@m3kit/encoder')['M3Encoder'];

async function loadEncoder(
  M3Encoder: EncoderClass,
  ref: ModelRef,
  options: OpenEncoderOptions,
): Promise<M3EncoderV1> {
  let lastNote = 0;
  return M3Encoder.load(ref.kind === 'directory' ? ref.path : ref.id, {
    ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onDownloadProgress: (event) => {
      const now = Date.now();
      if (!event.done && now - lastNote < 2000) return;
      lastNote = now;
      const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
      const total = event.totalBytes ? ` of ${mib(event.totalBytes)}` : '';
      options.onNote?.(
        `download ${event.modelId} ${event.file}: ${mib(event.receivedBytes)}${total}${event.done ? ' (done)' : ''}`,
      );
    },
  });
}
