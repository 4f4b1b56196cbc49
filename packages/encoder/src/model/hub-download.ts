import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AbortedError } from '@m3kit/core';
import { ModelDownloadError } from '../errors/model-download-error.js';
import { externalDataNeeds } from '../onnx/external-data.js';

/** One step of a download, reported at most every mebibyte and at the end of each file. */
export interface DownloadProgress {
  readonly modelId: string;
  /** Path inside the repository, e.g. `onnx/model.onnx_data`. */
  readonly file: string;
  readonly receivedBytes: number;
  /** From Content-Length / Content-Range when the server sent it. */
  readonly totalBytes: number | undefined;
  /** True once this file is complete and in place. */
  readonly done: boolean;
}

export interface HubDownloadOptions {
  /** Where models are kept: `<cacheDir>/<owner>--<name>/<revision>/`. Default `$M3KIT_CACHE` or `~/.cache/m3kit`. */
  readonly cacheDir?: string;
  /** Hub base URL. Default `$HF_ENDPOINT` or `https://huggingface.co`. */
  readonly endpoint?: string;
  /** Branch, tag or commit. Default `main`. */
  readonly revision?: string;
  /** Bearer token for gated or private repositories. Default `$HF_TOKEN`. */
  readonly token?: string;
  /** Never touch the network: use the cache or fail at once. Default true when `$HF_HUB_OFFLINE` is `1`. */
  readonly offline?: boolean;
  /** Give up on a server that has not answered (headers) within this time. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /** Attempts per file, each resuming where the last stopped. Default 3. */
  readonly attempts?: number;
  readonly onProgress?: (event: DownloadProgress) => void;
  readonly signal?: AbortSignal;
}

/** Files of BAAI/bge-m3's official layout that the encoder needs; external data is added from the graph. */
export const OFFICIAL_LAYOUT_FILES: readonly {
  readonly path: string;
  readonly required: boolean;
}[] = [
  { path: 'onnx/model.onnx', required: true },
  { path: 'colbert_linear.pt', required: true },
  { path: 'sparse_linear.pt', required: true },
  { path: 'tokenizer.json', required: true },
  { path: 'special_tokens_map.json', required: false },
  { path: 'config.json', required: false },
];

const PROGRESS_STEP_BYTES = 1 << 20;
const MAX_REDIRECTS = 5;

/** Whether a source string names a hub repository (`owner/name`) rather than a path. */
export function looksLikeHubId(source: string): boolean {
  return (
    /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(source) &&
    !source.startsWith('.') &&
    !source.includes('..')
  );
}

/**
 * Makes sure `modelId` at `revision` is in the cache, downloading what is missing, and returns its
 * directory. Each file goes to `<file>.part` first (resumed with an HTTP Range request after an
 * interruption, checked against the hub's SHA-256 when it gives one) and is renamed into place
 * when complete, so a file in the cache is always whole.
 */
export async function downloadFromHub(
  modelId: string,
  options: HubDownloadOptions = {},
): Promise<string> {
  if (!looksLikeHubId(modelId)) {
    throw new ModelDownloadError({
      modelId,
      message: `"${modelId}" is neither a directory nor a hub id (owner/name)`,
    });
  }
  const revision = options.revision ?? 'main';
  const cacheDir =
    options.cacheDir ?? process.env['M3KIT_CACHE'] ?? join(homedir(), '.cache', 'm3kit');
  const directory = join(cacheDir, modelId.replace('/', '--'), revision.replace(/[^\w.-]/g, '_'));
  const offline = options.offline ?? process.env['HF_HUB_OFFLINE'] === '1';
  const endpoint = (
    options.endpoint ??
    process.env['HF_ENDPOINT'] ??
    'https://huggingface.co'
  ).replace(/\/+$/, '');
  const token = options.token ?? process.env['HF_TOKEN'];
  const context: DownloadContext = {
    modelId,
    revision,
    directory,
    endpoint,
    token,
    offline,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    attempts: options.attempts ?? 3,
    onProgress: options.onProgress,
    signal: options.signal,
  };

  for (const file of OFFICIAL_LAYOUT_FILES) await ensureFile(context, file.path, file.required);
  // The graph names its external data files (onnx/model.onnx_data, onnx/Constant_7_attr__value).
  const graph = await readFile(join(directory, 'onnx/model.onnx'));
  for (const need of externalDataNeeds(graph))
    await ensureFile(context, `onnx/${need.location}`, true);
  return directory;
}

interface DownloadContext {
  readonly modelId: string;
  readonly revision: string;
  readonly directory: string;
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly offline: boolean;
  readonly connectTimeoutMs: number;
  readonly attempts: number;
  readonly onProgress: ((event: DownloadProgress) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

async function ensureFile(
  context: DownloadContext,
  path: string,
  required: boolean,
): Promise<void> {
  const target = join(context.directory, path);
  if (await exists(target)) return;
  if (await exists(`${target}.absent`)) return; // an optional file the hub does not have
  if (context.offline)
    throw offlineError(context, `${path} is not in the cache and offline mode is on`);
  await mkdir(dirname(target), { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= context.attempts; attempt++) {
    if (context.signal?.aborted)
      throw new AbortedError(`download of ${context.modelId}`, context.signal.reason);
    try {
      const found = await downloadOnce(context, path, target);
      if (!found) {
        if (required) {
          throw new ModelDownloadError({
            modelId: context.modelId,
            url: fileUrl(context, path),
            statusCode: 404,
            message: `${context.modelId}@${context.revision} has no ${path} on ${context.endpoint}`,
          });
        }
        await writeFile(`${target}.absent`, '');
      }
      return;
    } catch (error) {
      if (ModelDownloadError.isInstance(error) && !isRetryable(error)) throw error;
      if (AbortedError.isInstance(error)) throw error;
      lastError = error;
    }
  }
  if (ModelDownloadError.isInstance(lastError)) throw lastError;
  throw new ModelDownloadError({
    modelId: context.modelId,
    url: fileUrl(context, path),
    message: `downloading ${path} of ${context.modelId} failed ${context.attempts} times (${describe(lastError)}); call load again to resume`,
    cause: lastError,
  });
}

/** Downloads or resumes one file. Returns false on 404. */
async function downloadOnce(
  context: DownloadContext,
  path: string,
  target: string,
): Promise<boolean> {
  const partFile = `${target}.part`;
  const metaFile = `${target}.part.json`;
  let offset = (await exists(partFile)) ? (await stat(partFile)).size : 0;
  let previousEtag: string | undefined;
  if (offset > 0) {
    try {
      previousEtag = (JSON.parse(await readFile(metaFile, 'utf8')) as { etag?: string }).etag;
    } catch {
      offset = 0; // no record of what the partial file is: start over
    }
  }
  const headers: Record<string, string> = {};
  if (offset > 0) {
    headers['range'] = `bytes=${offset}-`;
    if (previousEtag) headers['if-range'] = previousEtag;
  }
  const watchdog = new Watchdog();
  const { response, expectedSha256, etag } = await request(
    context,
    fileUrl(context, path),
    headers,
    watchdog,
  );
  if (response.status === 404) {
    await response.body?.cancel();
    return false;
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new ModelDownloadError({
      modelId: context.modelId,
      url: response.url,
      statusCode: response.status,
      message: `${context.endpoint} answered ${response.status} for ${path} of ${context.modelId}${
        response.status === 401 || response.status === 403
          ? ' (gated or private: set HF_TOKEN)'
          : ''
      }`,
    });
  }
  let total: number | undefined;
  if (response.status === 206) {
    const range = /bytes (\d+)-\d+\/(\d+|\*)/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      await rm(partFile, { force: true });
      throw new Error(`server resumed ${path} at the wrong offset`);
    }
    total = range[2] === '*' ? undefined : Number(range[2]);
  } else {
    offset = 0; // the server sent the whole file (no range support, or the file changed)
    const length = response.headers.get('content-length');
    total = length === null ? undefined : Number(length);
  }
  await writeFile(metaFile, JSON.stringify({ etag: etag ?? null, url: fileUrl(context, path) }));

  const handle = await open(partFile, offset > 0 ? 'a' : 'w');
  let received = offset;
  let reported = offset;
  try {
    if (!response.body) throw new Error('empty response body');
    watchdog.arm(context.connectTimeoutMs * 4);
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      watchdog.arm(context.connectTimeoutMs * 4);
      await handle.write(chunk);
      received += chunk.length;
      if (received - reported >= PROGRESS_STEP_BYTES) {
        reported = received;
        context.onProgress?.({
          modelId: context.modelId,
          file: path,
          receivedBytes: received,
          totalBytes: total,
          done: false,
        });
      }
    }
  } finally {
    watchdog.disarm();
    await handle.close();
  }
  if (total !== undefined && received !== total) {
    throw new Error(`${path}: got ${received} of ${total} bytes`);
  }
  if (expectedSha256) {
    const actual = await sha256File(partFile);
    if (actual !== expectedSha256) {
      await rm(partFile, { force: true });
      throw new ModelDownloadError({
        modelId: context.modelId,
        url: fileUrl(context, path),
        message: `${path} of ${context.modelId} is damaged: SHA-256 ${actual}, the hub says ${expectedSha256}; the partial file was removed, call load again`,
      });
    }
  }
  await rename(partFile, target);
  await rm(metaFile, { force: true });
  context.onProgress?.({
    modelId: context.modelId,
    file: path,
    receivedBytes: received,
    totalBytes: total ?? received,
    done: true,
  });
  return true;
}

/**
 * GET with redirects followed by hand: the hub's first answer carries the file's SHA-256
 * (`X-Linked-Etag` for LFS files) and the redirect target (a CDN) must not get the token.
 */
async function request(
  context: DownloadContext,
  url: string,
  headers: Record<string, string>,
  watchdog: Watchdog,
): Promise<{ response: Response; expectedSha256: string | undefined; etag: string | undefined }> {
  let current = url;
  let expectedSha256: string | undefined;
  let etag: string | undefined;
  const origin = new URL(url).origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const hopHeaders: Record<string, string> = { ...headers, 'user-agent': '@m3kit/encoder' };
    if (context.token && new URL(current).origin === origin)
      hopHeaders['authorization'] = `Bearer ${context.token}`;
    const signal = context.signal
      ? AbortSignal.any([watchdog.signal, context.signal])
      : watchdog.signal;
    let response: Response;
    try {
      watchdog.arm(context.connectTimeoutMs);
      response = await fetch(current, { headers: hopHeaders, redirect: 'manual', signal });
      watchdog.disarm();
    } catch (error) {
      watchdog.disarm();
      if (context.signal?.aborted)
        throw new AbortedError(`download of ${context.modelId}`, context.signal.reason);
      throw offlineError(
        context,
        `could not reach ${new URL(current).origin} (${describe(error)})`,
        error,
      );
    }
    const linked =
      response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? undefined;
    const sha = linked ? /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(linked)?.[1] : undefined;
    expectedSha256 ??= sha;
    etag ??= linked;
    if (response.status >= 300 && response.status < 400 && response.headers.get('location')) {
      await response.body?.cancel();
      current = new URL(response.headers.get('location')!, current).toString();
      continue;
    }
    return { response, expectedSha256, etag };
  }
  throw new ModelDownloadError({
    modelId: context.modelId,
    url,
    message: `too many redirects for ${url}`,
  });
}

/**
 * Aborts a request that stalls: armed while waiting for headers (the connect timeout) and between
 * body chunks, never for the whole of a large body that is still flowing.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.controller.abort(new Error(`no answer for ${ms} ms`)), ms);
    this.timer.unref();
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function fileUrl(context: DownloadContext, path: string): string {
  const [owner, name] = context.modelId.split('/');
  return `${context.endpoint}/${owner}/${name}/resolve/${encodeURIComponent(context.revision)}/${path
    .split('/')
    .map(encodeURIComponent)
    .join('/')}`;
}

function offlineError(
  context: DownloadContext,
  reason: string,
  cause?: unknown,
): ModelDownloadError {
  return new ModelDownloadError({
    modelId: context.modelId,
    offline: true,
    cause,
    message:
      `cannot get ${context.modelId}: ${reason}. To run without the hub, load a local directory in ` +
      `BAAI/bge-m3's layout instead: M3Encoder.load('/path/to/bge-m3') with onnx/model.onnx (+ model.onnx_data), ` +
      `colbert_linear.pt, sparse_linear.pt and tokenizer.json (e.g. a git clone of the repository, or ` +
      `\`huggingface-cli download ${context.modelId} --local-dir ...\` run on a machine that is online), ` +
      `or set cacheDir to a cache that already holds it.`,
  });
}

function isRetryable(error: ModelDownloadError): boolean {
  if (error.offline) return false;
  return error.statusCode === undefined || error.statusCode >= 500 || error.statusCode === 429;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
