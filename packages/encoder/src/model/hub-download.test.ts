import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelDownloadError } from '../errors/model-download-error.js';
import { M3Encoder } from '../m3-encoder.js';
import {
  copyTinyModelFiles,
  temporaryDirectory,
  writeExternalDataGraph,
} from '../test-support/synthetic-model.js';
import { downloadFromHub } from './hub-download.js';
import type { DownloadProgress } from './hub-download.js';

const MODEL_ID = 'BAAI/bge-m3';
/** Files served as LFS objects: a redirect to the CDN with the SHA-256 in X-Linked-Etag. */
const LFS = new Set(['onnx/model.onnx_data', 'colbert_linear.pt', 'sparse_linear.pt']);

interface Logged {
  readonly server: 'hub' | 'cdn';
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

/**
 * A stand-in for the Hugging Face hub on loopback: `/<owner>/<name>/resolve/<revision>/<path>`
 * answers small files itself and redirects LFS files to a second server (another origin, as the
 * real CDN is) that honours Range requests. Faults are injected per test.
 */
class FakeHub {
  readonly log: Logged[] = [];
  /** Drop the connection after this many body bytes of the next CDN response for a file. */
  dropAfter = new Map<string, number>();
  /** Serve these bytes instead of the real file (from the CDN), to break the checksum. */
  corrupt = new Set<string>();
  private hub!: Server;
  private cdn!: Server;

  constructor(private readonly files: ReadonlyMap<string, Buffer>) {}

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.cdn = await listen((request, response) => this.serveCdn(request, response));
    this.hub = await listen((request, response) => this.serveHub(request, response));
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.hub), close(this.cdn)]);
  }

  private record(server: 'hub' | 'cdn', request: IncomingMessage, path: string): void {
    this.log.push({
      server,
      path,
      range: request.headers.range,
      authorization: request.headers.authorization,
    });
  }

  private serveHub(request: IncomingMessage, response: ServerResponse): void {
    const match = /^\/BAAI\/bge-m3\/resolve\/main\/(.+)$/.exec(request.url ?? '');
    const path = match ? decodeURIComponent(match[1]!) : '';
    this.record('hub', request, path);
    const body = this.files.get(path);
    if (!body) {
      response.writeHead(404).end('Entry not found');
      return;
    }
    if (LFS.has(path)) {
      const sha = createHash('sha256').update(body).digest('hex');
      const cdn = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}/objects/${sha}?file=${encodeURIComponent(path)}`;
      response
        .writeHead(302, {
          location: cdn,
          'x-linked-etag': `"${sha}"`,
          'x-linked-size': String(body.length),
        })
        .end();
      return;
    }
    response
      .writeHead(200, { 'content-length': body.length, etag: `W/"${body.length}"` })
      .end(body);
  }

  private serveCdn(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://cdn');
    const path = url.searchParams.get('file') ?? '';
    this.record('cdn', request, path);
    let body = this.files.get(path)!;
    if (this.corrupt.has(path)) body = Buffer.from(body.map((byte) => byte ^ 1));
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const part = body.subarray(start);
    const headers: Record<string, string | number> = {
      'content-length': part.length,
      'accept-ranges': 'bytes',
    };
    if (range) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    response.writeHead(range ? 206 : 200, headers);
    const drop = this.dropAfter.get(path);
    if (drop !== undefined) {
      this.dropAfter.delete(path);
      response.write(part.subarray(0, drop), () => response.destroy());
      return;
    }
    response.end(part);
  }
}

function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function listFiles(directory: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(directory, path), readFileSync(path));
    }
  };
  walk(directory);
  return files;
}

let source: string;
let files: Map<string, Buffer>;
const scratch: string[] = [];
function cacheDir(): string {
  const directory = temporaryDirectory('cache');
  scratch.push(directory);
  return directory;
}

beforeAll(() => {
  // The tiny model in BAAI/bge-m3's layout, its graph keeping weights in onnx/model.onnx_data.
  source = temporaryDirectory('hub-source');
  copyTinyModelFiles(source);
  writeExternalDataGraph(source);
  files = listFiles(source);
});
afterAll(() => rmSync(source, { recursive: true, force: true }));
afterEach(() => {
  for (const directory of scratch.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('downloading from the hub', () => {
  let hub: FakeHub;
  beforeAll(async () => {
    hub = new FakeHub(files);
    await hub.start();
  });
  afterAll(() => hub.stop());

  it('downloads the layout, resumes a dropped transfer with a Range request, and loads it', async () => {
    hub.log.length = 0;
    hub.dropAfter.set('onnx/model.onnx_data', 300_000);
    const events: DownloadProgress[] = [];
    const cache = cacheDir();
    const encoder = await M3Encoder.load(MODEL_ID, {
      endpoint: hub.endpoint,
      cacheDir: cache,
      threads: 1,
      onDownloadProgress: (event) => events.push(event),
    });
    expect(encoder.modelId).toBe(MODEL_ID);
    const directory = join(cache, 'BAAI--bge-m3', 'main');
    for (const [path, body] of files)
      expect(readFileSync(join(directory, path)).equals(body), path).toBe(true);
    expect(readdirSync(join(directory, 'onnx')).some((name) => name.includes('.part'))).toBe(false);

    const dataRequests = hub.log.filter(
      (entry) => entry.server === 'cdn' && entry.path === 'onnx/model.onnx_data',
    );
    // The first transfer broke after at most 300,000 bytes; the second asked for the rest only.
    expect(dataRequests).toHaveLength(2);
    expect(dataRequests[0]!.range).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(dataRequests[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(300_000);
    const finished = events.filter((event) => event.done).map((event) => event.file);
    expect(finished.sort()).toEqual([...files.keys()].sort());
    expect(events.some((event) => !event.done && event.file === 'onnx/model.onnx_data')).toBe(
      false,
    ); // < 1 MiB steps

    const local = await M3Encoder.load(source, { threads: 1 });
    const [fromHub] = await encoder.encode(['download test']);
    const [fromDisk] = await local.encode(['download test']);
    expect(Array.from(fromHub!.dense!)).toEqual(Array.from(fromDisk!.dense!));
    await Promise.all([encoder.close(), local.close()]);
  });

  it('serves a second load from the cache without the network', async () => {
    const cache = cacheDir();
    await downloadFromHub(MODEL_ID, { endpoint: hub.endpoint, cacheDir: cache });
    hub.log.length = 0;
    const encoder = await M3Encoder.load(MODEL_ID, {
      endpoint: 'http://127.0.0.1:9',
      cacheDir: cache,
      offline: true,
      threads: 1,
    });
    expect(hub.log).toEqual([]);
    await encoder.close();
  });

  it('reads the endpoint from HF_ENDPOINT and sends HF_TOKEN to the hub only, not to the CDN', async () => {
    const saved = { endpoint: process.env['HF_ENDPOINT'], token: process.env['HF_TOKEN'] };
    process.env['HF_ENDPOINT'] = hub.endpoint;
    process.env['HF_TOKEN'] = 'hf_test_token';
    try {
      hub.log.length = 0;
      await downloadFromHub(MODEL_ID, { cacheDir: cacheDir() });
    } finally {
      restore('HF_ENDPOINT', saved.endpoint);
      restore('HF_TOKEN', saved.token);
    }
    expect(
      hub.log
        .filter((entry) => entry.server === 'hub')
        .every((entry) => entry.authorization === 'Bearer hf_test_token'),
    ).toBe(true);
    expect(hub.log.filter((entry) => entry.server === 'cdn').length).toBeGreaterThan(0);
    expect(
      hub.log
        .filter((entry) => entry.server === 'cdn')
        .every((entry) => entry.authorization === undefined),
    ).toBe(true);
  });

  it("rejects a file whose SHA-256 differs from the hub's, leaving no partial file", async () => {
    const cache = cacheDir();
    hub.corrupt.add('colbert_linear.pt');
    try {
      await expect(
        downloadFromHub(MODEL_ID, { endpoint: hub.endpoint, cacheDir: cache }),
      ).rejects.toSatisfy(
        (error: unknown) =>
          ModelDownloadError.isInstance(error) &&
          /colbert_linear\.pt .* is damaged: SHA-256/.test(error.message),
      );
    } finally {
      hub.corrupt.delete('colbert_linear.pt');
    }
    const directory = join(cache, 'BAAI--bge-m3', 'main');
    expect(existsSync(join(directory, 'colbert_linear.pt'))).toBe(false);
    expect(existsSync(join(directory, 'colbert_linear.pt.part'))).toBe(false);
  });

  it('says which file the repository lacks, without retrying a 404', async () => {
    hub.log.length = 0;
    await expect(
      downloadFromHub('BAAI/not-here', { endpoint: hub.endpoint, cacheDir: cacheDir() }),
    ).rejects.toSatisfy(
      (error: unknown) =>
        ModelDownloadError.isInstance(error) &&
        error.statusCode === 404 &&
        /has no onnx\/model.onnx/.test(error.message),
    );
    expect(hub.log).toHaveLength(1);
  });
});

describe('offline', () => {
  it('fails fast with a way to load a local directory when the hub cannot be reached', async () => {
    const closed = await listen(() => undefined);
    const port = (closed.address() as AddressInfo).port;
    await close(closed);
    // "Fast" counted, not timed (a clock bound fails on a loaded machine): one request, no retries.
    const fetches = vi.spyOn(globalThis, 'fetch');
    const error = await M3Encoder.load(MODEL_ID, {
      endpoint: `http://127.0.0.1:${port}`,
      cacheDir: cacheDir(),
    }).catch((caught: unknown) => caught);
    const requests = fetches.mock.calls.length;
    fetches.mockRestore();
    expect(requests).toBe(1);
    expect(ModelDownloadError.isInstance(error)).toBe(true);
    const downloadError = error as ModelDownloadError;
    expect(downloadError.offline).toBe(true);
    expect(downloadError.message).toMatch(/could not reach http:\/\/127\.0\.0\.1/);
    expect(downloadError.message).toMatch(/M3Encoder\.load\('\/path\/to\/bge-m3'\)/);
  });

  it('never touches the network in offline mode (HF_HUB_OFFLINE=1)', async () => {
    const saved = process.env['HF_HUB_OFFLINE'];
    process.env['HF_HUB_OFFLINE'] = '1';
    try {
      await expect(
        M3Encoder.load(MODEL_ID, { endpoint: 'http://127.0.0.1:9', cacheDir: cacheDir() }),
      ).rejects.toSatisfy(
        (error: unknown) =>
          ModelDownloadError.isInstance(error) &&
          error.offline &&
          /offline mode is on/.test(error.message),
      );
    } finally {
      restore('HF_HUB_OFFLINE', saved);
    }
  });

  it('gives up on a server that accepts the connection but never answers', async () => {
    const silent = await listen(() => undefined); // never responds
    try {
      // Giving up is counted, not timed: one connection, not retried (a hang fails the test's timeout).
      let connections = 0;
      silent.on('connection', () => connections++);
      await expect(
        downloadFromHub(MODEL_ID, {
          endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          cacheDir: cacheDir(),
          connectTimeoutMs: 300,
        }),
      ).rejects.toSatisfy(
        (error: unknown) => ModelDownloadError.isInstance(error) && error.offline,
      );
      expect(connections).toBe(1);
    } finally {
      await close(silent);
    }
  });

  it('tells a hub id from a path', async () => {
    await expect(M3Encoder.load('not a model id')).rejects.toThrow(/does not exist/);
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
