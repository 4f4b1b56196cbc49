import {
  AbortedError,
  InvalidInputError,
  type EncodedText,
  type EncodeOptions,
  type M3EncoderV1,
} from '@m3kit/core';
import { pickBucket } from './length-buckets.js';
import { QueueFullError } from './queue-full-error.js';

/** Which outputs a caller wants and the token limit: requests that share a limit share a batch. */
export interface EncodeRequest {
  readonly dense: boolean;
  readonly sparse: boolean;
  readonly colbert: boolean;
  readonly maxLength?: number;
  readonly signal?: AbortSignal;
}

export interface EncodeBatcherOptions {
  /**
   * Most a request waits for company when the encoder is idle (default 10 ms), and only while
   * requests have lately overlapped: a lone client's request is not held back. The wait ends as
   * soon as the company it expects has arrived (the requests the last call answered, or those the
   * HTTP layer has read): a run's fixed cost on a CPU is ~270 ms for the full-size model, so
   * gathering the clients that are coming back is worth a few ms, a run of a lone straggler is not.
   */
  readonly maxWaitMs?: number;
  /** Texts per encoder call from merged requests (default 64); one larger request runs alone. */
  readonly maxBatchTexts?: number;
  /** Texts waiting (not yet in the encoder) before new requests are refused (default 1024). */
  readonly maxQueuedTexts?: number;
}

/** What the batcher reports, for metrics. */
export interface EncodeBatcherObserver {
  onQueueChange?(queuedTexts: number, queuedRequests: number): void;
  onBatch?(texts: number, requests: number, seconds: number): void;
  onRejected?(): void;
}

interface Job {
  readonly texts: readonly string[];
  /** Characters of the longest text, for length buckets. */
  readonly length: number;
  readonly request: EncodeRequest;
  readonly resolve: (value: readonly EncodedText[]) => void;
  readonly reject: (error: unknown) => void;
  readonly detach: () => void;
}

/**
 * Micro-batching in front of one encoder: concurrent requests are merged into one `encode` call,
 * so throughput rises with load (one padded batch costs far less than its rows one by one), while
 * a lone request waits at most `maxWaitMs`. Only one call runs at a time (the encoder has one
 * session); requests that arrive meanwhile form the next batch. The queue is bounded: past
 * `maxQueuedTexts` a request is refused at once with QueueFullError, never left to pile up.
 */
export class EncodeBatcher {
  private readonly maxWaitMs: number;
  private readonly maxBatchTexts: number;
  private readonly maxQueuedTexts: number;
  private readonly queue: Job[] = [];
  private queuedTexts = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /**
   * Whether requests have overlapped lately (one arrived while another waited or ran). Only then
   * is waiting for company worth its delay: with one client at a time the wait bought nothing and
   * cost every request its full budget (measured: 1.16x the encoder's own latency, full-size
   * model, against 0.99x without it). A fresh batcher assumes overlap; the first batch of one with
   * nobody behind it ends the assumption. Overlap alone no longer holds a request back: it waits
   * only for company it has reason to expect (see `schedule`).
   */
  private overlapping = true;
  /** Requests the last encoder call answered: under closed-loop load, the company coming back. */
  private lastBatchRequests = 0;
  private idleWaiters: Array<() => void> = [];
  /** Seconds per text of recent batches (exponential average), for Retry-After. */
  private secondsPerText = 0.01;

  constructor(
    private readonly encoder: M3EncoderV1,
    options: EncodeBatcherOptions = {},
    private readonly observer: EncodeBatcherObserver = {},
  ) {
    this.maxWaitMs = nonNegative(options.maxWaitMs ?? 10, 'maxWaitMs');
    this.maxBatchTexts = positiveInteger(options.maxBatchTexts ?? 64, 'maxBatchTexts');
    this.maxQueuedTexts = positiveInteger(options.maxQueuedTexts ?? 1024, 'maxQueuedTexts');
  }

  /**
   * Requests the HTTP layer has read and not yet answered (set by the server). More than one means
   * company may be on its way to the encoder: worth waiting for, even if the load was lone lately.
   */
  requestsInFlight = 0;

  get queued(): { readonly texts: number; readonly requests: number } {
    return { texts: this.queuedTexts, requests: this.queue.length };
  }

  /** Seconds a client refused now should wait before trying again (at least 1). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.queuedTexts * this.secondsPerText));
  }

  encode(texts: readonly string[], request: EncodeRequest): Promise<readonly EncodedText[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (request.signal?.aborted) return Promise.reject(new AbortedError('encode'));
    // An empty queue always admits one request, however large, so no request size is refused forever.
    if (this.queue.length > 0 && this.queuedTexts + texts.length > this.maxQueuedTexts) {
      this.observer.onRejected?.();
      return Promise.reject(
        new QueueFullError(this.queuedTexts, this.maxQueuedTexts, this.retryAfterSeconds()),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => this.cancel(job);
      const job: Job = {
        texts,
        length: texts.reduce((longest, text) => Math.max(longest, text.length), 0),
        request,
        resolve,
        reject,
        detach: () => request.signal?.removeEventListener('abort', onAbort),
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.running || this.queue.length > 0) this.overlapping = true;
      this.queue.push(job);
      this.queuedTexts += texts.length;
      this.changed();
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running (graceful shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The batcher as an encoder, so `ingest()` shares the queue with every other request. */
  asEncoder(): M3EncoderV1 {
    const encoder = this.encoder;
    return {
      specificationVersion: 'v1',
      modelId: encoder.modelId,
      denseDimension: encoder.denseDimension,
      maxLength: encoder.maxLength,
      encode: (texts: readonly string[], options: EncodeOptions = {}) =>
        this.encode(texts, {
          dense: options.dense ?? true,
          sparse: options.sparse ?? true,
          colbert: options.colbert ?? true,
          ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      tokenize: (texts, options) => encoder.tokenize(texts, options),
      // The server owns the real encoder's life; closing this view closes nothing.
      close: async () => undefined,
    };
  }

  /**
   * While the encoder runs, nothing is dispatched: the next call starts the moment it frees up
   * (`flushSoon` after each call), with everything queued meanwhile. An idle encoder starts at
   * once when a full call is queued, when the load is one at a time, or when the company it
   * expects is already here; else it waits for that company, at most `maxWaitMs`.
   */
  private schedule(): void {
    if (this.running) return;
    if (this.queuedTexts >= this.maxBatchTexts || this.maxWaitMs === 0) {
      this.flushSoon();
      return;
    }
    // Company expected: the requests the last call answered (closed-loop clients send their next
    // one on the answer) or more requests read by the HTTP layer than are queued.
    const expected = this.overlapping
      ? Math.max(this.lastBatchRequests, this.requestsInFlight)
      : this.requestsInFlight;
    // Run once the requests already read in this turn of the event loop are queued (they still
    // share the call), without waiting for ones that are not coming.
    if (this.queue.length >= expected) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.immediate ??= setImmediate(() => this.flushSoon());
    } else this.timer ??= setTimeout(() => this.flushSoon(), this.maxWaitMs);
  }

  private flushSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.takeBatch();
    void this.runBatch(batch).finally(() => {
      this.running = false;
      this.lastBatchRequests = batch.length;
      // A batch of one with nobody waiting behind it: the load is one request at a time.
      if (batch.length === 1 && this.queue.length === 0) this.overlapping = false;
      if (this.queue.length > 0) this.flushSoon();
      else this.notifyIdle();
    });
  }

  /**
   * The oldest request and the queued ones with the same token limit nearest it in length, up to
   * the batch size (`pickBucket`): when more is queued than one call takes, each call holds
   * neighbours in length and pads little.
   */
  private takeBatch(): Job[] {
    const first = this.queue[0]!;
    const eligible = this.queue.filter((job) => job.request.maxLength === first.request.maxLength);
    const picked = pickBucket(
      eligible.map((job) => ({ texts: job.texts.length, length: job.length })),
      this.maxBatchTexts,
    );
    const batch = picked.map((index) => eligible[index]!);
    const taken = new Set(batch);
    let texts = 0;
    for (const job of batch) texts += job.texts.length;
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (taken.has(this.queue[i]!)) this.queue.splice(i, 1);
    this.queuedTexts -= texts;
    this.changed();
    return batch;
  }

  private async runBatch(batch: readonly Job[]): Promise<void> {
    const texts = batch.flatMap((job) => job.texts);
    const wanted = {
      dense: batch.some((job) => job.request.dense),
      sparse: batch.some((job) => job.request.sparse),
      colbert: batch.some((job) => job.request.colbert),
    };
    const maxLength = batch[0]!.request.maxLength;
    const started = performance.now();
    let results: readonly EncodedText[];
    try {
      results = await this.encoder.encode(texts, {
        ...wanted,
        ...(maxLength !== undefined ? { maxLength } : {}),
      });
    } catch (error) {
      await this.failBatch(batch, error);
      return;
    }
    const seconds = (performance.now() - started) / 1000;
    this.secondsPerText = 0.8 * this.secondsPerText + 0.2 * (seconds / texts.length);
    this.observer.onBatch?.(texts.length, batch.length, seconds);
    let offset = 0;
    for (const job of batch) {
      const own = results
        .slice(offset, offset + job.texts.length)
        .map((result) => keepWanted(result, job.request));
      offset += job.texts.length;
      job.detach();
      job.resolve(own);
    }
  }

  /**
   * A merged call failed. When it was bad input, one request's text may be to blame: run each
   * request alone so the others still get their answer and only the culprit gets the error.
   */
  private async failBatch(batch: readonly Job[], error: unknown): Promise<void> {
    if (batch.length === 1 || !InvalidInputError.isInstance(error)) {
      for (const job of batch) {
        job.detach();
        job.reject(error);
      }
      return;
    }
    for (const job of batch) {
      job.detach();
      try {
        const maxLength = job.request.maxLength;
        const results = await this.encoder.encode(job.texts, {
          dense: job.request.dense,
          sparse: job.request.sparse,
          colbert: job.request.colbert,
          ...(maxLength !== undefined ? { maxLength } : {}),
        });
        job.resolve(results);
      } catch (own) {
        job.reject(own);
      }
    }
  }

  private cancel(job: Job): void {
    const index = this.queue.indexOf(job);
    if (index < 0) return; // already in the encoder: its result is simply dropped by the caller
    this.queue.splice(index, 1);
    this.queuedTexts -= job.texts.length;
    this.changed();
    job.reject(new AbortedError('encode'));
    if (this.queue.length === 0 && !this.running) this.notifyIdle();
  }

  private changed(): void {
    this.observer.onQueueChange?.(this.queuedTexts, this.queue.length);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** Drops the outputs a merged batch computed for another request. */
function keepWanted(result: EncodedText, request: EncodeRequest): EncodedText {
  const { dense, lexical, colbert, ...rest } = result;
  return {
    ...rest,
    ...(request.dense && dense ? { dense } : {}),
    ...(request.sparse && lexical ? { lexical } : {}),
    ...(request.colbert && colbert ? { colbert } : {}),
  };
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidInputError(`${name} must be a positive integer, got ${value}`, { item: name });
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidInputError(`${name} must be a number >= 0, got ${value}`, { item: name });
  return value;
}
